using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json.Nodes;
using Sluice.IntegrationTests.Gapless;
using Sluice.IntegrationTests.Infrastructure;
using Sluice.Server.Observability;

namespace Sluice.IntegrationTests.Observability;

/// <summary>
/// The server's spans (<see cref="SluiceTelemetry.ActivitySourceName"/>): a table subscription's steps with the table, the
/// protocol and the outcome, and a snapshot read with its row count; no tag carries a token or a row value.
/// </summary>
public sealed class TracingTests(PostgresFixture postgres) : ServerTest(postgres), IDisposable
{
    private readonly ConcurrentQueue<Activity> _stopped = new();
    private readonly ActivityListener _listener = new();

    private void Listen()
    {
        _listener.ShouldListenTo = static source => source.Name == SluiceTelemetry.ActivitySourceName;
        _listener.Sample = static (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded;
        _listener.ActivityStopped = _stopped.Enqueue;
        ActivitySource.AddActivityListener(_listener);
    }

    public void Dispose() => _listener.Dispose();

    /// <summary>The span named <paramref name="name"/> about <paramref name="table"/>, once it stopped (other tests run alongside).</summary>
    private Task<Activity> SpanAsync(string name, string table) => SpanAsync(name, SluiceTelemetry.TableTag, table);

    private async Task<Activity> SpanAsync(string name, string tag, string value)
    {
        var deadline = DateTime.UtcNow + TestClient.Patience;
        while (DateTime.UtcNow < deadline)
        {
            foreach (var activity in _stopped)
            {
                if (activity.OperationName == name && activity.GetTagItem(tag) is string text && text.EndsWith(value, StringComparison.Ordinal))
                    return activity;
            }
            await Task.Delay(10);
        }
        throw new Xunit.Sdk.XunitException($"no {name} span for {value}; saw: {string.Join(", ", _stopped.Select(static a => a.OperationName))}");
    }

    [Fact]
    public async Task A_table_subscription_is_traced_with_its_outcome()
    {
        Listen();
        await CreateTableAsync("traced_items");
        await Database.ExecuteAsync("INSERT INTO traced_items VALUES (1, 'secret-row-value', 1.00)");
        var client = await ConnectAsync();

        await client.SubscribeAsync("table:public.traced_items");
        var resolve = await SpanAsync(SluiceTelemetry.ResolveSpan, "public.traced_items");
        Assert.Equal("ready", resolve.GetTagItem(SluiceTelemetry.OutcomeTag));
        Assert.Equal("native", resolve.GetTagItem(SluiceTelemetry.ProtocolTag));
        Assert.Equal(false, resolve.GetTagItem(SluiceTelemetry.FilteredTag));
        var live = await SpanAsync(SluiceTelemetry.LiveSpan, "public.traced_items");
        Assert.Equal("live", live.GetTagItem(SluiceTelemetry.OutcomeTag));
        Assert.Equal(ActivityStatusCode.Unset, live.Status);

        // A table that does not exist: the resolve step says so. (Row 1, committed before the subscription, may still reach
        // it when it was not dispatched yet: a live subscription starts at the log's tail, so skip change frames.)
        await client.SendAsync(new { type = "subscribe", channel = "table:public.traced_missing" });
        string type;
        do
            type = Frames.Type(await client.NextAsync());
        while (type == "broadcast");
        Assert.Equal("error", type);
        var missing = await SpanAsync(SluiceTelemetry.ResolveSpan, "public.traced_missing");
        Assert.Equal("not_found", missing.GetTagItem(SluiceTelemetry.OutcomeTag));

        // A subscription with a snapshot: the snapshot step and, inside it, the read with its row count.
        var snapshotClient = await ConnectAsync();
        await snapshotClient.SendAsync(new { type = "subscribe", channel = "table:public.traced_items", snapshot = true, filter = "id=eq.1" });
        var snapshot = await SpanAsync(SluiceTelemetry.SnapshotSpan, "public.traced_items");
        Assert.Equal("snapshot_sent", snapshot.GetTagItem(SluiceTelemetry.OutcomeTag));
        Assert.Equal(true, snapshot.GetTagItem(SluiceTelemetry.FilteredTag));
        var read = await SpanAsync(SluiceTelemetry.SnapshotReadSpan, "public.traced_items");
        Assert.Equal(1L, read.GetTagItem(SluiceTelemetry.RowsTag));
        Assert.Equal(snapshot.SpanId, read.ParentSpanId);

        // Names and outcomes only: no row value (nor the filter, which may hold one) in any tag.
        foreach (var activity in _stopped)
        {
            foreach (var (_, value) in activity.TagObjects)
            {
                var text = Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture) ?? "";
                Assert.DoesNotContain("secret-row-value", text, StringComparison.Ordinal);
                Assert.DoesNotContain("eq.1", text, StringComparison.Ordinal);
            }
        }
    }

    [Fact]
    public async Task A_room_join_is_traced_with_its_outcome()
    {
        Listen();
        var client = await ConnectAsync();
        await client.SubscribeAsync("room:traced-lobby");
        var join = await SpanAsync(SluiceTelemetry.RoomJoinSpan, SluiceTelemetry.RoomTag, "traced-lobby");
        Assert.Equal("joined", join.GetTagItem(SluiceTelemetry.OutcomeTag));
        Assert.Equal("native", join.GetTagItem(SluiceTelemetry.ProtocolTag));
        Assert.Equal(false, join.GetTagItem(SluiceTelemetry.ResumedTag));
    }

    [Fact]
    public async Task A_supabase_binding_is_traced_with_its_protocol()
    {
        Listen();
        await CreateTableAsync("traced_supabase");
        var client = await ConnectPhoenixAsync("2.0.0");
        var binding = new JsonObject { ["event"] = "*", ["schema"] = "public", ["table"] = "traced_supabase" };
        var (_, reply) = await client.JoinAsync("realtime:traced", new JsonObject
        {
            ["config"] = new JsonObject { ["postgres_changes"] = new JsonArray(binding) },
        });
        Assert.Equal("ok", reply.Payload.GetProperty("status").GetString());
        var resolve = await SpanAsync(SluiceTelemetry.ResolveSpan, "public.traced_supabase");
        Assert.Equal("ready", resolve.GetTagItem(SluiceTelemetry.OutcomeTag));
        Assert.Equal("supabase", resolve.GetTagItem(SluiceTelemetry.ProtocolTag));
        var live = await SpanAsync(SluiceTelemetry.LiveSpan, "public.traced_supabase");
        Assert.Equal("live", live.GetTagItem(SluiceTelemetry.OutcomeTag));
    }
}
