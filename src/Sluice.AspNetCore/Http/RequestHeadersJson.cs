using System.Buffers;
using System.Text.Json;

namespace Sluice.Server.Http;

/// <summary>
/// The request's <c>x-*</c> headers as a JSON object (lower-case names; a repeated header's values joined with ", "), what
/// Supabase puts in <c>request.headers</c> for the policies on <c>realtime.messages</c> of a WebSocket connection. It is
/// only ever a query parameter of a rolled-back transaction, never logged.
/// </summary>
internal static class RequestHeadersJson
{
    public static string XHeaders(IHeaderDictionary headers)
    {
        var buffer = new ArrayBufferWriter<byte>(64);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            foreach (var (name, values) in headers)
            {
                if (name.StartsWith("x-", StringComparison.OrdinalIgnoreCase))
                    writer.WriteString(name.ToLowerInvariant(), values.ToString());
            }
            writer.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
    }
}
