namespace Sluice.Server.Http;

/// <summary>The error body of <c>POST /api/broadcast</c> (Supabase's shape): <c>{"message":…,"code":…}</c>.</summary>
internal sealed record BroadcastErrorResponse(string Message, string Code);
