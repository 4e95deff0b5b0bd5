using System.Text.Json;
using System.Text.Json.Nodes;
using Sluice.IntegrationTests.Infrastructure;
using Sluice.IntegrationTests.Supabase;

namespace Sluice.IntegrationTests.RowSecurity;

/// <summary>The two wire protocols a table subscriber can use.</summary>
public enum Wire
{
    /// <summary>The native protocol at <c>/realtime</c>.</summary>
    Native,

    /// <summary>The Supabase (Phoenix, vsn 2.0.0) protocol at <c>/realtime/v1/websocket</c>.</summary>
    Supabase,
}

/// <summary>
/// What a subscriber received, the same whatever the protocol: <c>Kind</c> is <c>change</c> (with its <c>Type</c>,
/// INSERT, UPDATE, DELETE or TRUNCATE, table, rows and offset), <c>error</c> (with its <c>Code</c>) or <c>resync</c>.
/// </summary>
public sealed record Delivery(string Kind, string? Type, string? Table, JsonElement? Record, JsonElement? OldRecord, string? Offset, string? Code, string? Message)
{
    public bool IsChange => Kind == "change";

    /// <summary>A column of the record (else of the old record) as text; null when absent.</summary>
    public string? Value(string column)
    {
        foreach (var row in new[] { Record, OldRecord })
        {
            if (row is { ValueKind: JsonValueKind.Object } value && value.TryGetProperty(column, out var field))
                return field.ValueKind == JsonValueKind.String ? field.GetString() : field.GetRawText();
        }
        return null;
    }

    public override string ToString() => Kind switch
    {
        "change" => $"{Type} {Table} record={Record?.GetRawText()} old={OldRecord?.GetRawText()} @{Offset}",
        _ => $"{Kind} {Code}: {Message}",
    };
}

/// <summary>
/// A table subscriber on either protocol: subscribes (live, or resuming with <c>since</c>), and reads what arrives as
/// <see cref="Delivery"/> values. Every socket is pumped from connect on by its test client.
/// </summary>
public abstract class Subscriber : IAsyncDisposable
{
    public abstract Wire Wire { get; }

    /// <summary>Opens a connection with <paramref name="token"/> (null: anonymous).</summary>
    public static async Task<Subscriber> ConnectAsync(Wire wire, ServerHandle server, string? token) => wire switch
    {
        Wire.Native => new NativeSubscriber(await TestClient.ConnectAsync(
            new Uri(server.WebSocketUrl + (token is null ? "" : "?token=" + Uri.EscapeDataString(token))))),
        _ => new SupabaseSubscriber(await PhoenixTestClient.ConnectAsync(server, "2.0.0", token ?? "sb_publishable_anonymous")),
    };

    /// <summary>Subscribes to the tables (one subscription each; one channel with a binding each on Supabase); fails on a refusal.</summary>
    public Task SubscribeAsync(params string[] tables) => SubscribeAsync(since: null, tables);

    /// <summary>Like <see cref="SubscribeAsync(string[])"/>, resuming after <paramref name="since"/>; returns the start offset.</summary>
    public abstract Task<string?> SubscribeAsync(string? since, params string[] tables);

    /// <summary>The next delivery (heartbeats and protocol chatter skipped).</summary>
    public abstract Task<Delivery> NextAsync();

    /// <summary>Everything up to and including the first delivery <paramref name="last"/> accepts.</summary>
    public async Task<List<Delivery>> UntilAsync(Func<Delivery, bool> last)
    {
        var received = new List<Delivery>();
        while (true)
        {
            var delivery = await NextAsync();
            received.Add(delivery);
            if (last(delivery))
                return received;
        }
    }

    /// <summary>Everything up to and including the change whose <paramref name="column"/> is <paramref name="value"/>.</summary>
    public Task<List<Delivery>> UntilRowAsync(string column, string value) =>
        UntilAsync(delivery => delivery.IsChange && delivery.Value(column) == value);

    public abstract ValueTask DisposeAsync();

    private sealed class NativeSubscriber(TestClient client) : Subscriber
    {
        /// <summary>Frames that arrived while waiting for acks (a resumed subscription replays before the next ack).</summary>
        private readonly Queue<System.Text.Json.JsonElement> _early = new();

        public override Wire Wire => Wire.Native;

        public override async Task<string?> SubscribeAsync(string? since, params string[] tables)
        {
            string? offset = null;
            foreach (var table in tables)
            {
                var channel = "table:public." + table;
                var frame = new JsonObject { ["type"] = "subscribe", ["channel"] = channel };
                if (since is not null)
                    frame["since"] = since;
                await client.SendTextAsync(frame.ToJsonString());
                while (true)
                {
                    var reply = await client.NextAsync();
                    var type = reply.GetProperty("type").GetString();
                    if (type == "ack" && reply.GetProperty("channel").GetString() == channel)
                    {
                        if (reply.TryGetProperty("offset", out var at))
                            offset = at.GetString();
                        break;
                    }
                    if (type is "error" or "resync_required" && reply.TryGetProperty("channel", out var about) && about.GetString() == channel)
                        throw new InvalidOperationException($"subscribe to {channel} refused: {reply}");
                    _early.Enqueue(reply);
                }
            }
            return since ?? offset;
        }

        public override async Task<Delivery> NextAsync()
        {
            var frame = _early.Count > 0 ? _early.Dequeue() : await client.NextAsync();
            var type = frame.GetProperty("type").GetString();
            switch (type)
            {
                case "broadcast":
                    var payload = frame.GetProperty("payload");
                    return new Delivery("change", payload.GetProperty("type").GetString(), payload.GetProperty("table").GetString(),
                        payload.TryGetProperty("record", out var record) ? record : null,
                        payload.TryGetProperty("old_record", out var old) ? old : null,
                        frame.TryGetProperty("offset", out var offset) ? offset.GetString() : null, null, null);
                case "error":
                    return new Delivery("error", null, null, null, null, null, frame.GetProperty("code").GetString(), frame.GetProperty("error").GetString());
                case "resync_required":
                    return new Delivery("resync", null, null, null, null, null, "resync_required", frame.GetRawText());
                default:
                    return new Delivery(type ?? "?", null, null, null, null, null, null, frame.GetRawText());
            }
        }

        public override ValueTask DisposeAsync() => client.DisposeAsync();
    }

    private sealed class SupabaseSubscriber(PhoenixTestClient client) : Subscriber
    {
        private int _topics;

        public override Wire Wire => Wire.Supabase;

        public override async Task<string?> SubscribeAsync(string? since, params string[] tables)
        {
            var bindings = new JsonArray();
            foreach (var table in tables)
            {
                var binding = new JsonObject { ["event"] = "*", ["schema"] = "public", ["table"] = table };
                if (since is not null)
                    binding["since"] = since;
                bindings.Add(binding);
            }
            var payload = new JsonObject
            {
                ["config"] = new JsonObject { ["presence"] = new JsonObject { ["enabled"] = false }, ["postgres_changes"] = bindings },
            };
            var (_, reply) = await client.JoinAsync($"realtime:t{Interlocked.Increment(ref _topics)}", payload);
            if (reply.Payload.GetProperty("status").GetString() != "ok")
                throw new InvalidOperationException($"join refused: {reply}");
            var replied = reply.Payload.GetProperty("response").GetProperty("postgres_changes");
            return replied.GetArrayLength() > 0 && replied[0].TryGetProperty("offset", out var offset) ? offset.GetString() : null;
        }

        public override async Task<Delivery> NextAsync()
        {
            while (true)
            {
                var frame = await client.NextAsync(f => f.Event is "postgres_changes" or "system" or "phx_error");
                switch (frame.Event)
                {
                    case "postgres_changes":
                        var data = frame.Payload.GetProperty("data");
                        return new Delivery("change", data.GetProperty("type").GetString(), data.GetProperty("table").GetString(),
                            data.TryGetProperty("record", out var record) ? record : null,
                            data.TryGetProperty("old_record", out var old) && old.EnumerateObject().Any() ? old : null,
                            data.GetProperty("offset").GetString(), null, null);
                    case "phx_error":
                        return new Delivery("resync", null, null, null, null, null, "resync_required", frame.ToString());
                    default:
                        if (frame.Payload.TryGetProperty("status", out var status) && status.GetString() == "error")
                        {
                            var message = frame.Payload.GetProperty("message").GetString() ?? "";
                            var code = frame.Payload.TryGetProperty("code", out var coded) ? coded.GetString() : message.Split(':', 2)[0];
                            return new Delivery(code == "resync_required" ? "resync" : "error", null, null, null, null, null, code, message);
                        }
                        continue; // "Subscribed to PostgreSQL" and other good news
                }
            }
        }

        public override ValueTask DisposeAsync() => client.DisposeAsync();
    }
}
