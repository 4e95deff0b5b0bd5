using System.Buffers;
using System.Collections.Immutable;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using CsCheck;
using Sluice.Server.Capture;

namespace Sluice.Tests.Capture;

/// <summary>A row's property names, written from the column's pre-escaped <see cref="TableColumn.JsonName"/>, are the bytes the writer would make of the name.</summary>
public class ColumnNameJsonProperties
{
    private static readonly JsonWriterOptions Relaxed = new() { SkipValidation = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Names PostgreSQL allows in quotes: anything but NUL (quotes, backslashes, controls, non-ASCII, emoji).</summary>
    private static readonly Gen<string> ColumnName = Gen.OneOf(
        Gen.String[Gen.Char.Where(static c => c != '\0' && !char.IsSurrogate(c)), 1, 30],
        Gen.Char["\"\\\t\n<>&'é€ aZ_9"].Array[1, 12].Select(static chars => new string(chars)),
        Gen.OneOf("id", "prénom", "a\"b", "back\\slash", "tab\there", "😀 smile", "<script>"));

    [Fact]
    public void Rows_name_each_column_as_the_writer_escapes_its_name()
    {
        ColumnName.Sample(name =>
        {
            var table = new TableSchema(1, "public", "t", ImmutableArray.Create(new TableColumn(name, new ColumnType(25, ValueKind.Text), IsKey: true)));
            Assert.Equal(Expected(name), Written(table));
            using var row = JsonDocument.Parse(Written(table));
            Assert.Equal(name, row.RootElement.EnumerateObject().Single().Name);
        }, iter: 5_000);
    }

    private static string Written(TableSchema table)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, Relaxed))
            RowJson.Write(writer, table, ["v"]);
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static string Expected(string name)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, Relaxed))
        {
            writer.WriteStartObject();
            writer.WriteString(name, "v");
            writer.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }
}
