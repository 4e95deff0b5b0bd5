using System.Buffers;
using System.Text;
using System.Text.Json;

namespace Sluice.Server.Capture;

/// <summary>
/// Writes PostgreSQL text-format values (as pgoutput sends them, DateStyle ISO) as JSON values.
/// Never throws for any input text: a value without the shape its type promises is written as a JSON string.
/// </summary>
internal static partial class PgValueJson
{
    private static readonly JsonReaderOptions JsonValidation = new() { MaxDepth = int.MaxValue };

    /// <summary>Writes one JSON value for the non-null text value of a column of <paramref name="type"/>.</summary>
    public static void Write(Utf8JsonWriter writer, ColumnType type, string text)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(type);
        ArgumentNullException.ThrowIfNull(text);
        if (type.IsArray)
            WriteArray(writer, type.Kind, type.ArrayDelimiter, text);
        else
            WriteScalar(writer, type.Kind, text);
    }

    private static void WriteScalar(Utf8JsonWriter writer, ValueKind kind, ReadOnlySpan<char> text)
    {
        switch (kind)
        {
            case ValueKind.Integer:
                WriteNumberOrString(writer, text, IsJsonInteger(text));
                break;
            case ValueKind.Float:
            case ValueKind.Numeric:
                WriteNumberOrString(writer, text, IsJsonNumber(text));
                break;
            case ValueKind.Boolean:
                WriteBoolean(writer, text);
                break;
            case ValueKind.Json:
                WriteJson(writer, text);
                break;
            case ValueKind.Timestamp:
                WriteTimestamp(writer, text, withOffset: false);
                break;
            case ValueKind.TimestampTz:
                WriteTimestamp(writer, text, withOffset: true);
                break;
            case ValueKind.TimeTz:
                WriteTimeTz(writer, text);
                break;
            default:
                writer.WriteStringValue(text);
                break;
        }
    }

    private static void WriteNumberOrString(Utf8JsonWriter writer, ReadOnlySpan<char> text, bool isNumber)
    {
        if (isNumber)
            writer.WriteRawValue(text, skipInputValidation: true);
        else
            writer.WriteStringValue(text);
    }

    private static void WriteBoolean(Utf8JsonWriter writer, ReadOnlySpan<char> text)
    {
        if (text is "t")
            writer.WriteBooleanValue(true);
        else if (text is "f")
            writer.WriteBooleanValue(false);
        else
            writer.WriteStringValue(text);
    }

    private static void WriteJson(Utf8JsonWriter writer, ReadOnlySpan<char> text)
    {
        var byteCount = Encoding.UTF8.GetByteCount(text);
        var rented = ArrayPool<byte>.Shared.Rent(Math.Max(byteCount, 1));
        try
        {
            var utf8 = rented.AsSpan(0, Encoding.UTF8.GetBytes(text, rented));
            if (IsSingleJsonValue(utf8))
                writer.WriteRawValue(utf8, skipInputValidation: true);
            else
                writer.WriteStringValue(text);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    private static bool IsSingleJsonValue(ReadOnlySpan<byte> utf8)
    {
        var reader = new Utf8JsonReader(utf8, JsonValidation);
        try
        {
            if (!reader.Read())
                return false;
            reader.Skip();
            return !reader.Read();
        }
        catch (JsonException)
        {
            return false;
        }
    }
}
