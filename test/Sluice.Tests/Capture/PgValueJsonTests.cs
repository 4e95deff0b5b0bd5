using Sluice.Server.Capture;

namespace Sluice.Tests.Capture;

public class PgValueJsonTests
{
    [Theory]
    [InlineData(ValueKind.Integer, "42", "42")]
    [InlineData(ValueKind.Integer, "-9223372036854775808", "-9223372036854775808")]
    [InlineData(ValueKind.Integer, "4294967295", "4294967295")]
    [InlineData(ValueKind.Integer, "0", "0")]
    [InlineData(ValueKind.Integer, "007", "\"007\"")]
    [InlineData(ValueKind.Integer, "+5", "\"+5\"")]
    [InlineData(ValueKind.Integer, "1.5", "\"1.5\"")]
    [InlineData(ValueKind.Integer, "", "\"\"")]
    [InlineData(ValueKind.Integer, "-", "\"-\"")]
    [InlineData(ValueKind.Float, "1.5", "1.5")]
    [InlineData(ValueKind.Float, "-0", "-0")]
    [InlineData(ValueKind.Float, "1e+100", "1e+100")]
    [InlineData(ValueKind.Float, "1.2345e-05", "1.2345e-05")]
    [InlineData(ValueKind.Float, "NaN", "\"NaN\"")]
    [InlineData(ValueKind.Float, "Infinity", "\"Infinity\"")]
    [InlineData(ValueKind.Float, "-Infinity", "\"-Infinity\"")]
    [InlineData(ValueKind.Float, "1.", "\"1.\"")]
    [InlineData(ValueKind.Float, ".5", "\".5\"")]
    [InlineData(ValueKind.Numeric, "12.50", "12.50")]
    [InlineData(ValueKind.Numeric, "-0.001", "-0.001")]
    [InlineData(ValueKind.Numeric, "123456789012345678901234567890.123456789", "123456789012345678901234567890.123456789")]
    [InlineData(ValueKind.Numeric, "NaN", "\"NaN\"")]
    [InlineData(ValueKind.Numeric, "Infinity", "\"Infinity\"")]
    [InlineData(ValueKind.Numeric, "-Infinity", "\"-Infinity\"")]
    [InlineData(ValueKind.Boolean, "t", "true")]
    [InlineData(ValueKind.Boolean, "f", "false")]
    [InlineData(ValueKind.Boolean, "yes", "\"yes\"")]
    [InlineData(ValueKind.Json, "{\"a\": [1, 2.5, null]}", "{\"a\": [1, 2.5, null]}")]
    [InlineData(ValueKind.Json, "\"just a string\"", "\"just a string\"")]
    [InlineData(ValueKind.Json, "3", "3")]
    [InlineData(ValueKind.Json, "{\"a\":", "\"{\\\"a\\\":\"")]
    [InlineData(ValueKind.Json, "1 2", "\"1 2\"")]
    [InlineData(ValueKind.Json, "", "\"\"")]
    [InlineData(ValueKind.Uuid, "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", "\"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11\"")]
    [InlineData(ValueKind.Text, "he said \"hi\"\n", "\"he said \\\"hi\\\"\\n\"")]
    [InlineData(ValueKind.Text, "", "\"\"")]
    internal void Writes_scalars(ValueKind kind, string text, string expected)
    {
        Assert.Equal(expected, JsonOf.Value(JsonOf.Scalar(kind), text));
    }

    [Theory]
    [InlineData(ValueKind.Timestamp, "2024-01-02 03:04:05.123456", "2024-01-02T03:04:05.123456")]
    [InlineData(ValueKind.Timestamp, "2024-01-02 03:04:05", "2024-01-02T03:04:05")]
    [InlineData(ValueKind.Timestamp, "infinity", "infinity")]
    [InlineData(ValueKind.Timestamp, "-infinity", "-infinity")]
    [InlineData(ValueKind.Timestamp, "0044-03-15 12:00:00 BC", "0044-03-15 12:00:00 BC")]
    [InlineData(ValueKind.Timestamp, "12345-01-02 03:04:05", "12345-01-02T03:04:05")]
    [InlineData(ValueKind.Timestamp, "2024-01-02 03:04:05+00", "2024-01-02 03:04:05+00")]
    [InlineData(ValueKind.TimestampTz, "2024-01-02 03:04:05.123+00", "2024-01-02T03:04:05.123+00:00")]
    [InlineData(ValueKind.TimestampTz, "2024-01-02 03:04:05+05:30", "2024-01-02T03:04:05+05:30")]
    [InlineData(ValueKind.TimestampTz, "1890-01-02 03:04:05-03:06:28", "1890-01-02T03:04:05-03:06:28")]
    [InlineData(ValueKind.TimestampTz, "2024-01-02 03:04:05-03:00:00", "2024-01-02T03:04:05-03:00")]
    [InlineData(ValueKind.TimestampTz, "infinity", "infinity")]
    [InlineData(ValueKind.TimestampTz, "0044-03-15 12:00:00+00 BC", "0044-03-15 12:00:00+00 BC")]
    [InlineData(ValueKind.TimestampTz, "2024-01-02 03:04:05", "2024-01-02 03:04:05")]
    [InlineData(ValueKind.Date, "2024-01-02", "2024-01-02")]
    [InlineData(ValueKind.Date, "0044-03-15 BC", "0044-03-15 BC")]
    [InlineData(ValueKind.Time, "03:04:05", "03:04:05")]
    [InlineData(ValueKind.Time, "03:04:05.5", "03:04:05.5")]
    [InlineData(ValueKind.TimeTz, "03:04:05+02", "03:04:05+02:00")]
    [InlineData(ValueKind.TimeTz, "03:04:05.25-09:30", "03:04:05.25-09:30")]
    [InlineData(ValueKind.TimeTz, "03:04:05", "03:04:05")]
    internal void Writes_temporal_values_as_iso_8601_strings(ValueKind kind, string text, string expected)
    {
        Assert.Equal("\"" + expected + "\"", JsonOf.Value(JsonOf.Scalar(kind), text));
    }

    [Fact]
    public void Writes_numbers_inside_an_object_with_separators()
    {
        using var stream = new MemoryStream();
        using (var writer = new System.Text.Json.Utf8JsonWriter(stream))
        {
            writer.WriteStartObject();
            writer.WritePropertyName("a");
            PgValueJson.Write(writer, JsonOf.Scalar(ValueKind.Integer), "1");
            writer.WritePropertyName("b");
            PgValueJson.Write(writer, JsonOf.Scalar(ValueKind.Json), "{\"x\":1}");
            writer.WritePropertyName("c");
            PgValueJson.Write(writer, JsonOf.ArrayOf(ValueKind.Integer), "{1,2}");
            writer.WriteEndObject();
        }

        Assert.Equal("{\"a\":1,\"b\":{\"x\":1},\"c\":[1,2]}", System.Text.Encoding.UTF8.GetString(stream.ToArray()));
    }

    [Theory]
    [InlineData(ValueKind.Text, false)]
    [InlineData(ValueKind.Json, false)]
    [InlineData(ValueKind.Integer, false)]
    [InlineData(ValueKind.Text, true)]
    [InlineData(ValueKind.Json, true)]
    internal void Survives_lone_surrogates(ValueKind kind, bool isArray)
    {
        var text = isArray ? "{\"a\ud800\",\udc00}" : "\"a\ud800\"";
        foreach (var options in new[] { default, new System.Text.Json.JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping } })
        {
            var json = JsonOf.Value(new ColumnType(0, kind, isArray), text, options);
            using var document = System.Text.Json.JsonDocument.Parse(json);
        }
    }
}
