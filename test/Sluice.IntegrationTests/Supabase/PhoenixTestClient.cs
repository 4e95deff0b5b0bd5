using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Sluice.IntegrationTests.Infrastructure;

namespace Sluice.IntegrationTests.Supabase;

/// <summary>One server message, the same for vsn 1.0.0 and 2.0.0 (v1 messages have no join_ref).</summary>
public sealed record PhoenixFrame(string? JoinRef, string? Ref, string Topic, string Event, JsonElement Payload)
{
    /// <summary>Came as a binary kind-4 user broadcast (decoded as realtime-js does).</summary>
    public bool Binary { get; init; }

    public override string ToString() => $"[{JoinRef}, {Ref}, {Topic}, {Event}, {Payload.GetRawText()}]";
}

/// <summary>A raw WebSocket client speaking Phoenix frames of either vsn, as <c>@supabase/realtime-js</c> does.</summary>
public sealed class PhoenixTestClient : IAsyncDisposable
{
    private readonly ClientWebSocket _socket;
    private readonly Channel<PhoenixFrame> _frames = Channel.CreateUnbounded<PhoenixFrame>();
    private readonly Task _receiver;
    private readonly List<PhoenixFrame> _backlog = [];
    private int _ref;

    private PhoenixTestClient(ClientWebSocket socket, string vsn)
    {
        _socket = socket;
        Vsn = vsn;
        _receiver = ReceiveLoopAsync();
    }

    public string Vsn { get; }

    public bool IsV2 => Vsn == "2.0.0";

    public static Task<PhoenixTestClient> ConnectAsync(ServerHandle server, string vsn, string apiKey = "anon-key", string path = "/realtime/v1/websocket") =>
        ConnectAsync(server.HttpBase, vsn, apiKey, path);

    /// <summary>Connects to the server at <paramref name="httpBase"/> (an in-process server's or a <see cref="ServerProcess"/>'s).</summary>
    public static async Task<PhoenixTestClient> ConnectAsync(Uri httpBase, string vsn, string apiKey = "anon-key", string path = "/realtime/v1/websocket")
    {
        var socket = new ClientWebSocket();
        await socket.ConnectAsync(new Uri($"ws://{httpBase.Authority}{path}?apikey={Uri.EscapeDataString(apiKey)}&vsn={vsn}"), CancellationToken.None);
        return new PhoenixTestClient(socket, vsn);
    }

    public string NextRef() => Interlocked.Increment(ref _ref).ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Sends a push in this client's vsn; returns its ref.</summary>
    public async Task<string> PushAsync(string topic, string eventName, JsonNode? payload, string? joinRef, string? reference = null)
    {
        reference ??= NextRef();
        payload ??= new JsonObject();
        string text;
        if (IsV2)
            text = new JsonArray(joinRef is null ? null : JsonValue.Create(joinRef), JsonValue.Create(reference), JsonValue.Create(topic), JsonValue.Create(eventName), payload).ToJsonString();
        else
        {
            var frame = new JsonObject { ["topic"] = topic, ["event"] = eventName, ["payload"] = payload, ["ref"] = reference };
            if (joinRef is not null)
                frame["join_ref"] = joinRef;
            text = frame.ToJsonString();
        }
        await _socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, CancellationToken.None);
        return reference;
    }

    /// <summary>Sends a text frame exactly as given (for frames a JSON builder cannot make, such as lone surrogate escapes).</summary>
    public Task SendTextAsync(string text) => _socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, CancellationToken.None);

    public Task SendBinaryAsync(byte[] frame) => _socket.SendAsync(frame, WebSocketMessageType.Binary, true, CancellationToken.None);

    /// <summary>Joins <paramref name="topic"/> (join_ref = ref) and returns the join ref and the reply.</summary>
    public async Task<(string JoinRef, PhoenixFrame Reply)> JoinAsync(string topic, JsonObject payload)
    {
        var joinRef = NextRef();
        await PushAsync(topic, "phx_join", payload, joinRef, joinRef);
        var reply = await NextAsync(f => f.Event == "phx_reply" && f.Ref == joinRef);
        return (joinRef, reply);
    }

    /// <summary>The next frame matching <paramref name="match"/>; the others stay queued, in order, for later calls.</summary>
    public async Task<PhoenixFrame> NextAsync(Func<PhoenixFrame, bool>? match = null)
    {
        for (var i = 0; i < _backlog.Count; i++)
        {
            if (match is null || match(_backlog[i]))
            {
                var found = _backlog[i];
                _backlog.RemoveAt(i);
                return found;
            }
        }
        using var timeout = new CancellationTokenSource(TestClient.Patience);
        while (true)
        {
            PhoenixFrame frame;
            try
            {
                frame = await _frames.Reader.ReadAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"no matching frame from the server within {TestClient.Patience.TotalSeconds} s");
            }
            catch (ChannelClosedException)
            {
                throw new InvalidOperationException($"the connection closed ({_socket.CloseStatus} {_socket.CloseStatusDescription})");
            }
            if (match is null || match(frame))
                return frame;
            _backlog.Add(frame);
        }
    }

    public Task<PhoenixFrame> NextEventAsync(string eventName) => NextAsync(f => f.Event == eventName);

    /// <summary>Completes with the close status once the server closed the connection (frames received until then are kept).</summary>
    public async Task<WebSocketCloseStatus?> WaitForCloseAsync()
    {
        await _receiver.WaitAsync(TimeSpan.FromSeconds(60));
        return _socket.CloseStatus;
    }

    public string? CloseDescription => _socket.CloseStatusDescription;

    /// <summary>Frames received but not yet taken (those that arrived before the last matched one, among others).</summary>
    public IReadOnlyList<PhoenixFrame> Backlog => _backlog;

    /// <summary>
    /// Sends a heartbeat and waits for its reply; returns every other frame that arrived before the reply (the server
    /// answers in order, so whatever it queued before it is among them) and forgets them.
    /// </summary>
    public async Task<List<PhoenixFrame>> RoundTripAsync()
    {
        var reference = await PushAsync("phoenix", "heartbeat", new JsonObject(), joinRef: null);
        await NextAsync(f => f.Topic == "phoenix" && f.Ref == reference);
        var before = new List<PhoenixFrame>(_backlog);
        _backlog.Clear();
        return before;
    }

    private async Task ReceiveLoopAsync()
    {
        var buffer = new Ref<byte[]>(new byte[1024 * 1024]);
        try
        {
            while (await ReceiveAsync(buffer) is ({ } length, var type))
            {
                if (type == WebSocketMessageType.Binary)
                {
                    await _frames.Writer.WriteAsync(DecodeUserBroadcast(buffer.Value.AsSpan(0, length)));
                    continue;
                }
                using var document = JsonDocument.Parse(buffer.Value.AsMemory(0, length));
                var root = document.RootElement;
                PhoenixFrame frame;
                if (IsV2)
                {
                    Assert.Equal(JsonValueKind.Array, root.ValueKind);
                    frame = new PhoenixFrame(root[0].GetString(), root[1].GetString(), Text(root[2]), root[3].GetString()!, root[4].Clone());
                }
                else
                {
                    Assert.Equal(JsonValueKind.Object, root.ValueKind);
                    Assert.False(root.TryGetProperty("join_ref", out _), "v1 server frames carry no join_ref");
                    frame = new PhoenixFrame(null, root.GetProperty("ref").GetString(), Text(root.GetProperty("topic")),
                        root.GetProperty("event").GetString()!, root.GetProperty("payload").Clone());
                }
                await _frames.Writer.WriteAsync(frame);
            }
        }
        catch (Exception ex) when (ex is WebSocketException or ObjectDisposedException)
        {
        }
        finally
        {
            _frames.Writer.TryComplete();
        }
    }

    /// <summary>A string's value, or its JSON text when it is not valid UTF-16 (a lone surrogate escape echoed back).</summary>
    private static string Text(JsonElement element)
    {
        try
        {
            return element.GetString()!;
        }
        catch (InvalidOperationException)
        {
            return element.GetRawText();
        }
    }

    private async Task<(int? Length, WebSocketMessageType Type)> ReceiveAsync(Ref<byte[]> buffer)
    {
        var length = 0;
        WebSocketReceiveResult result;
        do
        {
            if (length == buffer.Value.Length)
            {
                var larger = buffer.Value;
                Array.Resize(ref larger, larger.Length * 2);
                buffer.Value = larger;
            }
            result = await _socket.ReceiveAsync(new ArraySegment<byte>(buffer.Value, length, buffer.Value.Length - length), CancellationToken.None);
            length += result.Count;
        }
        while (!result.EndOfMessage);
        return (result.MessageType == WebSocketMessageType.Close ? null : length, result.MessageType);
    }

    /// <summary>A kind-4 frame as realtime-js decodes it; only vsn 2.0.0 may receive binary.</summary>
    private PhoenixFrame DecodeUserBroadcast(ReadOnlySpan<byte> frame)
    {
        Assert.True(IsV2, "binary frames are only for vsn 2.0.0");
        Assert.Equal(4, frame[0]);
        int topicLength = frame[1], eventLength = frame[2], metaLength = frame[3];
        Assert.Equal(1, frame[4]); // JSON
        var topic = Encoding.UTF8.GetString(frame.Slice(5, topicLength));
        var eventName = Encoding.UTF8.GetString(frame.Slice(5 + topicLength, eventLength));
        var meta = frame.Slice(5 + topicLength + eventLength, metaLength);
        var body = frame[(5 + topicLength + eventLength + metaLength)..];
        var payload = new JsonObject { ["type"] = "broadcast", ["event"] = eventName, ["payload"] = JsonNode.Parse(body) };
        if (metaLength > 0)
            payload["meta"] = JsonNode.Parse(meta); // realtime-js: metadata is optional and always JSON
        return new PhoenixFrame(null, null, topic, "broadcast", JsonSerializer.SerializeToElement(payload)) { Binary = true };
    }

    public ValueTask DisposeAsync() => WebSocketMessages.CloseAndDisposeAsync(_socket, _receiver);
}
