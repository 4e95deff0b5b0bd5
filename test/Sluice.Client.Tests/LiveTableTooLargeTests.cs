using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Sluice.Client.Tests.Fakes;

namespace Sluice.Client.Tests;

/// <summary>
/// Rows over the server's maximum record size arrive reduced (key columns and small values, <c>too_large</c>): a live
/// table reads each one whole by its key over HTTP before it applies the transaction, so it never holds a partial row.
/// </summary>
public sealed class LiveTableTooLargeTests
{
    private const string Channel = Frames.Products;

    public sealed record Doc(long Id, int Version, string? Body);

    private static string Reduced(int offset, string kind, object? record, object? old) =>
        Frames.Change(Channel, offset, kind, record, old, txEnd: true)
            .Replace("\"schema\":\"public\"", "\"schema\":\"public\",\"too_large\":true,\"key_columns\":[\"id\"],\"omitted_columns\":[\"body\"]", StringComparison.Ordinal);

    [Fact]
    public async Task A_reduced_row_is_read_whole_by_its_key_before_the_transaction_is_applied()
    {
        await using var server = await FakeServer.StartAsync();
        var asked = new List<string?>();
        var stored = new Dictionary<long, Doc> { [7] = new(7, 1, new string('x', 5000)) };
        server.Rows = (name, filter) =>
        {
            lock (asked)
                asked.Add(filter);
            var id = long.Parse(filter!["id=eq.".Length..], System.Globalization.CultureInfo.InvariantCulture);
            object[] rows = stored.TryGetValue(id, out var doc) ? [new { id = doc.Id, version = doc.Version, body = doc.Body }] : [];
            return Results.Json(new { schema = "public", table = "products", rows });
        };
        await using var client = TestClients.Create(server);
        var table = client.LiveTable<long, Doc>("public", "products", doc => doc.Id);
        var changes = new Recorder<LiveTableChangedEventArgs<long, Doc>>();
        table.Changed += (_, e) => changes.Add(e);
        await client.StartAsync();
        var connection = await server.NextConnectionAsync();
        await connection.ReceiveSubscribeAsync();
        await connection.AckAsync(Channel);
        await connection.SendAsync(Frames.Snapshot(Channel, [], last: true, offset: Frames.Offset(1)));
        await table.WaitUntilSyncedAsync();

        await connection.SendAsync(Reduced(2, "INSERT", new { id = 7, version = 0 }, null));
        await changes.WaitForCountAsync(2, "the reduced insert");
        Assert.Equal(new Doc(7, 1, new string('x', 5000)), table[7]);
        var change = Assert.Single(changes.Items[1].Changes);
        Assert.True(change.IsTooLarge);
        Assert.Equal("id=eq.7", change.KeyFilter);
        Assert.Equal(["body"], change.OmittedColumns);

        // A reduced update of a row that is gone by the time it is read: the replica drops it, as the table has.
        stored.Remove(7);
        await connection.SendAsync(Reduced(3, "UPDATE", new { id = 7, version = 2 }, new { id = 7, version = 1 }));
        await changes.WaitForCountAsync(3, "the reduced update");
        Assert.False(table.ContainsKey(7));
        Assert.Equal(["id=eq.7", "id=eq.7"], asked);
    }

    [Fact]
    public async Task A_table_subscription_sees_the_reduced_form_and_the_key_filter()
    {
        await using var server = await FakeServer.StartAsync();
        await using var client = TestClients.Create(server);
        var subscription = client.Table("public", "products");
        var received = new Recorder<Change<JsonElement>>();
        subscription.OnChange(received.Add);
        await client.StartAsync();
        var connection = await server.NextConnectionAsync();
        await connection.ReceiveSubscribeAsync();
        await connection.AckAsync(Channel);
        await connection.SendAsync(Reduced(2, "DELETE", null, new { id = 9, version = 3 }));
        await received.WaitForCountAsync(1, "the reduced delete");
        var change = received.Items[0];
        Assert.True(change.IsTooLarge);
        Assert.Equal("id=eq.9", change.KeyFilter);
        Assert.Equal(9, change.OldRecord.GetProperty("id").GetInt64());
    }
}
