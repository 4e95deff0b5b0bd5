using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Sluice.Bench.Clients;

/// <summary>
/// One Supabase-protocol (Phoenix vsn 2.0.0, realtime-js 2.x's default) subscriber of one channel, lean enough to run a
/// thousand: counts the channel's database broadcasts (binary kind-4 frames, the topic compared byte by byte) and its
/// <c>postgres_changes</c> (text frames, read up to their event with <see cref="Utf8JsonReader"/>, the payload never
/// parsed) into a shared <see cref="DeliveryCounter"/> and its own counts, so a run can check that each subscriber got
/// exactly its share. Replies are parsed, they are rare (join, heartbeats).
/// </summary>
public sealed class PhoenixSubscriber : IAsyncDisposable
{
    /// <summary>The first byte of a vsn 2.0.0 binary user broadcast (the server's only binary frame).</summary>
    private const byte UserBroadcastKind = 4;

    private readonly ConcurrentDictionary<string, TaskCompletionSource<string>> _replies = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _send = new(1, 1);
    private readonly byte[] _topic;
    private WsClient? _client;
    private int _ref;
    private long _broadcasts;
    private long _changes;
    private long _unexpected;
    private string? _problem;

    private PhoenixSubscriber(string topic, DeliveryCounter counter)
    {
        Topic = topic;
        _topic = Encoding.UTF8.GetBytes(topic);
        Counter = counter;
    }

    /// <summary>The channel's topic, <c>realtime:&lt;name&gt;</c>.</summary>
    public string Topic { get; }

    public DeliveryCounter Counter { get; }

    /// <summary>Database broadcasts of this channel received (binary kind 4) since the last <see cref="ResetCounts"/>.</summary>
    public long Broadcasts => Interlocked.Read(ref _broadcasts);

    /// <summary><c>postgres_changes</c> of this channel received since the last <see cref="ResetCounts"/>.</summary>
    public long Changes => Interlocked.Read(ref _changes);

    /// <summary>Frames that are neither of the above nor replies or notices: another topic, a text broadcast, not Phoenix.</summary>
    public long Unexpected => Interlocked.Read(ref _unexpected);

    /// <summary>The last error notice, <c>phx_error</c> or <c>phx_close</c> the server sent, or null.</summary>
    public string? Problem => Volatile.Read(ref _problem);

    /// <summary>Connects to <c>/realtime/v1/websocket</c> with <paramref name="apiKey"/> (a token) and vsn 2.0.0.</summary>
    public static async Task<PhoenixSubscriber> ConnectAsync(Uri serverBase, string apiKey, string topic, DeliveryCounter counter)
    {
        var subscriber = new PhoenixSubscriber(topic, counter);
        var uri = new Uri(serverBase, $"/realtime/v1/websocket?apikey={Uri.EscapeDataString(apiKey)}&vsn=2.0.0");
        subscriber._client = await WsClient.ConnectAsync(uri, subscriber.OnMessage);
        return subscriber;
    }

    /// <summary>Joins the topic with <paramref name="payload"/> and waits for the reply; throws unless it is ok.</summary>
    public async Task JoinAsync(JsonObject payload)
    {
        var reference = NextRef();
        var reply = await RequestAsync(reference, new JsonArray(reference, reference, Topic, "phx_join", payload).ToJsonString());
        using var document = JsonDocument.Parse(reply);
        if (document.RootElement[4].GetProperty("status").GetString() != "ok")
            throw new InvalidOperationException($"join of {Topic} refused: {reply}");
    }

    /// <summary>
    /// A heartbeat and its reply. The server answers in order, so every frame it queued for this connection before the
    /// heartbeat has arrived when this returns.
    /// </summary>
    public async Task RoundTripAsync()
    {
        var reference = NextRef();
        await RequestAsync(reference, $$"""[null,"{{reference}}","phoenix","heartbeat",{}]""");
    }

    /// <summary>A heartbeat without waiting for the reply (the server closes sockets that send nothing for 60 s).</summary>
    public async Task HeartbeatAsync()
    {
        try
        {
            await SendAsync($$"""[null,"{{NextRef()}}","phoenix","heartbeat",{}]""");
        }
        catch (Exception e) when (e is System.Net.WebSockets.WebSocketException or ObjectDisposedException or InvalidOperationException)
        {
        }
    }

    public void ResetCounts()
    {
        Interlocked.Exchange(ref _broadcasts, 0);
        Interlocked.Exchange(ref _changes, 0);
    }

    public async ValueTask DisposeAsync()
    {
        if (_client is not null)
            await _client.DisposeAsync();
        _send.Dispose();
    }

    private string NextRef() => Interlocked.Increment(ref _ref).ToString(CultureInfo.InvariantCulture);

    private async Task<string> RequestAsync(string reference, string frame)
    {
        var reply = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        _replies[reference] = reply;
        try
        {
            await SendAsync(frame);
            return await reply.Task.WaitAsync(TimeSpan.FromSeconds(60));
        }
        finally
        {
            _replies.TryRemove(reference, out _);
        }
    }

    private async Task SendAsync(string frame)
    {
        await _send.WaitAsync();
        try
        {
            await _client!.SendAsync(frame);
        }
        finally
        {
            _send.Release();
        }
    }

    private void OnMessage(ReadOnlySpan<byte> message)
    {
        if (message.IsEmpty)
            return;
        if (message[0] == UserBroadcastKind)
        {
            // [4][topic length][event length][meta length][encoding][topic][event][meta][payload]
            int topicLength = message[1];
            if (message.Length >= 5 + topicLength && message.Slice(5, topicLength).SequenceEqual(_topic))
            {
                Interlocked.Increment(ref _broadcasts);
                Counter.Add();
            }
            else
            {
                Interlocked.Increment(ref _unexpected);
            }
            return;
        }

        // Text: [join_ref, ref, topic, event, payload]; read up to the event only.
        var reader = new Utf8JsonReader(message);
        bool ourTopic;
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartArray || !reader.Read() || !reader.Read() || !reader.Read()
                || reader.TokenType != JsonTokenType.String)
            {
                Interlocked.Increment(ref _unexpected);
                return;
            }
            ourTopic = reader.ValueTextEquals(_topic);
            if (!reader.Read() || reader.TokenType != JsonTokenType.String)
            {
                Interlocked.Increment(ref _unexpected);
                return;
            }
        }
        catch (JsonException)
        {
            Interlocked.Increment(ref _unexpected);
            return;
        }

        if (reader.ValueTextEquals("postgres_changes"u8))
        {
            if (ourTopic)
            {
                Interlocked.Increment(ref _changes);
                Counter.Add();
            }
            else
            {
                Interlocked.Increment(ref _unexpected);
            }
        }
        else if (reader.ValueTextEquals("phx_reply"u8))
        {
            var text = Encoding.UTF8.GetString(message);
            using var document = JsonDocument.Parse(text);
            if (document.RootElement[1].GetString() is { } reference && _replies.TryGetValue(reference, out var waiting))
                waiting.TrySetResult(text);
        }
        else if (reader.ValueTextEquals("system"u8))
        {
            // "Subscribed to PostgreSQL" is ok; an error notice is kept to report.
            if (message.IndexOf("\"status\":\"error\""u8) >= 0)
                Volatile.Write(ref _problem, Encoding.UTF8.GetString(message));
        }
        else if (reader.ValueTextEquals("phx_error"u8) || reader.ValueTextEquals("phx_close"u8))
        {
            Volatile.Write(ref _problem, Encoding.UTF8.GetString(message));
        }
        else
        {
            Interlocked.Increment(ref _unexpected);
        }
    }
}
