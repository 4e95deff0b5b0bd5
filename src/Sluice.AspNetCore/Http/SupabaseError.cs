namespace Sluice.Server.Http;

/// <summary>The body of a refused Supabase upgrade: <c>{"error":"API key is missing"}</c>.</summary>
internal sealed record SupabaseError(string Error);
