using System.Text.Encodings.Web;
using System.Text.Json;
using Sluice.Server.Capture;

namespace Sluice.Tests.Capture;

/// <summary>Runs <see cref="PgValueJson.Write"/> into a buffer and returns the JSON text.</summary>
internal static class JsonOf
{
    private static readonly JsonWriterOptions Readable = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static string Value(ColumnType type, string text) => Value(type, text, Readable);

    public static string Value(ColumnType type, string text, JsonWriterOptions options)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream, options))
            PgValueJson.Write(writer, type, text);
        return System.Text.Encoding.UTF8.GetString(stream.ToArray());
    }

    public static ColumnType Scalar(ValueKind kind) => new(0, kind);

    public static ColumnType ArrayOf(ValueKind kind, char delimiter = ',') => new(0, kind, IsArray: true, ArrayDelimiter: delimiter);
}
