namespace Sluice.Server.Protocols.Supabase;

/// <summary>
/// A client push the server refuses before it can be handled, addressed well enough to answer: the raw JSON of its
/// join_ref (or null), ref and topic exactly as sent, so the client's push receives the error reply even when the topic
/// itself is what could not be read (a lone surrogate escape). Only pushes with a ref are answered.
/// </summary>
/// <param name="JoinRefJson">The join_ref as JSON text, or null.</param>
/// <param name="RefJson">The ref as JSON text (a string or number).</param>
/// <param name="TopicJson">The topic as a JSON string.</param>
/// <param name="Reason">The error reply's <c>reason</c>.</param>
internal sealed record PhoenixRejection(string? JoinRefJson, string RefJson, string TopicJson, string Reason);
