using System.Text.Encodings.Web;
using System.Text.Json;
using Sluice.Protocol;

namespace Sluice.Server.Http;

/// <summary>
/// Streams <c>{"schema":…,"table":…,"rows":[…]}</c> from the snapshot reader's chunks (each a JSON array of rows)
/// without holding the table in memory: the chunks' brackets are dropped and their rows joined with commas.
/// </summary>
internal sealed class RowsBodyWriter(HttpResponse response, TableChannel table)
{
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
    private bool _started;
    private bool _anyRow;

    public async Task WriteChunkAsync(Snapshots.SnapshotChunk chunk, CancellationToken cancellationToken)
    {
        var rowsArray = chunk.Rows;
        await StartAsync(cancellationToken);
        // A chunk is "[row,row,…]"; an empty one is "[]".
        var rows = rowsArray.Slice(1, rowsArray.Length - 2);
        if (rows.IsEmpty)
            return;
        if (_anyRow)
            await response.Body.WriteAsync(","u8.ToArray(), cancellationToken);
        await response.Body.WriteAsync(rows, cancellationToken);
        _anyRow = true;
    }

    public async Task CompleteAsync(CancellationToken cancellationToken)
    {
        await StartAsync(cancellationToken);
        await response.Body.WriteAsync("]}"u8.ToArray(), cancellationToken);
    }

    private async Task StartAsync(CancellationToken cancellationToken)
    {
        if (_started)
            return;
        _started = true;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "application/json; charset=utf-8";
        var head = new MemoryStream();
        await using (var writer = new Utf8JsonWriter(head, WriterOptions))
        {
            writer.WriteStartObject();
            writer.WriteString("schema"u8, table.Schema);
            writer.WriteString("table"u8, table.Table);
            writer.WritePropertyName("rows"u8);
            writer.WriteStartArray();
            writer.Flush();
        }
        await response.Body.WriteAsync(head.GetBuffer().AsMemory(0, (int)head.Length), cancellationToken);
    }
}
