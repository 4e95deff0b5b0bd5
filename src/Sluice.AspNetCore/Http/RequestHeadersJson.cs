using System.Buffers;
using System.Text.Json;

namespace Sluice.Server.Http;

/// <summary>
/// The request's headers (a WebSocket's <c>x-*</c> headers, or every header of an HTTP broadcast) as a JSON object (lower-case names; a repeated header's values joined with ", "), what
/// Supabase puts in <c>request.headers</c> for the policies on <c>realtime.messages</c>. It is
/// only ever a query parameter of a rolled-back transaction, never logged.
/// </summary>
internal static class RequestHeadersJson
{
    public static string XHeaders(IHeaderDictionary headers) => Write(headers, onlyX: true);

    /// <summary>Every header of the request, as Supabase passes them to the policies of an HTTP broadcast.</summary>
    public static string All(IHeaderDictionary headers) => Write(headers, onlyX: false);

    private static string Write(IHeaderDictionary headers, bool onlyX)
    {
        var buffer = new ArrayBufferWriter<byte>(64);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            foreach (var (name, values) in headers)
            {
                if (!onlyX || name.StartsWith("x-", StringComparison.OrdinalIgnoreCase))
                    writer.WriteString(name.ToLowerInvariant(), values.ToString());
            }
            writer.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
    }
}
