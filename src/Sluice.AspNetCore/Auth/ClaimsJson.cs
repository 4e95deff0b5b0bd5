using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Sluice.Server.Auth;

/// <summary>
/// The canonical form of a token's claims: object keys sorted (ordinal) at every depth, no whitespace, and
/// without the claims that differ between two tokens of the same user (<c>exp</c>, <c>iat</c>, <c>nbf</c>,
/// <c>jti</c>; Sluice enforces the lifetime itself). Two connections with the same role and the same canonical
/// claims see exactly the same rows, so row-level checks can run once per distinct claim set.
/// </summary>
internal static class ClaimsJson
{
    private static readonly string[] PerTokenClaims = ["exp", "iat", "nbf", "jti"];

    // Not embedded in HTML: keep non-ASCII text readable (it reaches PostgreSQL as a parameter, never spliced into SQL).
    private static readonly JsonWriterOptions WriteOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static readonly JsonDocumentOptions ReadOptions = new() { MaxDepth = 32, AllowDuplicateProperties = false };

    /// <summary>Canonicalizes a JSON object of claims; throws <see cref="JsonException"/> when it is not one (or has duplicate keys).</summary>
    public static string Canonicalize(ReadOnlyMemory<byte> claimsObject)
    {
        using var document = JsonDocument.Parse(claimsObject, ReadOptions);
        if (document.RootElement.ValueKind != JsonValueKind.Object)
            throw new JsonException("the claims are not a JSON object");
        var buffer = new ArrayBufferWriter<byte>(claimsObject.Length + 16);
        using (var writer = new Utf8JsonWriter(buffer, WriteOptions))
            WriteObject(writer, document.RootElement, topLevel: true);
        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>The claims of an anonymous connection: just its role.</summary>
    public static string ForRole(string role)
    {
        var buffer = new ArrayBufferWriter<byte>(32);
        using (var writer = new Utf8JsonWriter(buffer, WriteOptions))
        {
            writer.WriteStartObject();
            writer.WriteString("role", role);
            writer.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static void Write(Utf8JsonWriter writer, JsonElement element)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                WriteObject(writer, element, topLevel: false);
                break;
            case JsonValueKind.Array:
                writer.WriteStartArray();
                foreach (var item in element.EnumerateArray())
                    Write(writer, item);
                writer.WriteEndArray();
                break;
            default:
                element.WriteTo(writer);
                break;
        }
    }

    private static void WriteObject(Utf8JsonWriter writer, JsonElement element, bool topLevel)
    {
        var properties = new List<JsonProperty>();
        foreach (var property in element.EnumerateObject())
        {
            if (!topLevel || Array.IndexOf(PerTokenClaims, property.Name) < 0)
                properties.Add(property);
        }
        properties.Sort(static (a, b) => string.CompareOrdinal(a.Name, b.Name));
        writer.WriteStartObject();
        foreach (var property in properties)
        {
            writer.WritePropertyName(property.Name);
            Write(writer, property.Value);
        }
        writer.WriteEndObject();
    }
}
