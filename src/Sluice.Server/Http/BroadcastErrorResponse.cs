namespace Sluice.Server.Http;

/// <summary>The error body of <c>POST /api/broadcast</c> (Supabase's shape): <c>{"message":…,"code":…}</c>.</summary>
public sealed record BroadcastErrorResponse(string Message, string Code);
