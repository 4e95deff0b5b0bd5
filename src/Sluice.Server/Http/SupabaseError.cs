namespace Sluice.Server.Http;

/// <summary>The body of a refused Supabase upgrade: <c>{"error":"API key is missing"}</c>.</summary>
public sealed record SupabaseError(string Error);
