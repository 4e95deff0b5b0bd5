using System.Net.WebSockets;
using System.Text.Json;

namespace Sluice.IntegrationTests.Golden;

/// <summary>
/// A scripted conversation with the server, written down as a transcript: <c>&gt; NAME FRAME</c> for what client NAME sent,
/// <c>&lt; NAME FRAME</c> for what the server sent it (<see cref="WireFrame.Render"/>), <c># …</c> for the script's steps.
/// Frames are recorded exactly as they travelled; <see cref="FrameNormalizer"/> runs on the whole transcript afterwards.
/// </summary>
/// <remarks>
/// Frames of one connection are recorded in the order they arrived: the server guarantees that order (one queue per
/// connection). Frames of different connections are recorded one connection after the other, in the script's order, never
/// interleaved by arrival time. Where one connection may legitimately get frames in either order, the script reads them all
/// and records them in a documented canonical order (<see cref="ExpectInCanonicalOrderAsync"/>).
/// </remarks>
public sealed class GoldenSession(GoldenSession.SyncFrames defaultSync) : IAsyncDisposable
{
    /// <summary>
    /// How to ask a connection for a reply that the server sends after everything it queued before (a heartbeat with a ref:
    /// each session handles its client's frames one at a time and sends through one queue): the request and the exact reply.
    /// </summary>
    public sealed record SyncFrames(Func<string, string> Request, Func<string, string> Reply)
    {
        /// <summary>The native protocol: <c>{"type":"heartbeat","ref":…}</c>, answered with the same frame.</summary>
        public static SyncFrames Native { get; } = new(
            reference => $$"""{"type":"heartbeat","ref":"{{reference}}"}""",
            reference => $$"""{"type":"heartbeat","ref":"{{reference}}"}""");

        /// <summary>The Supabase protocol: a heartbeat on topic <c>phoenix</c>, answered with an ok <c>phx_reply</c>.</summary>
        public static SyncFrames Phoenix(bool v2) => v2
            ? new(reference => $$"""[null,"{{reference}}","phoenix","heartbeat",{}]""",
                reference => $$$"""[null,"{{{reference}}}","phoenix","phx_reply",{"status":"ok","response":{}}]""")
            : new(reference => $$"""{"topic":"phoenix","event":"heartbeat","payload":{},"ref":"{{reference}}"}""",
                reference => $$$"""{"topic":"phoenix","event":"phx_reply","payload":{"status":"ok","response":{}},"ref":"{{{reference}}}"}""");
    }

    private readonly List<string> _lines = [];
    private readonly List<WireClient> _clients = [];
    private readonly Dictionary<WireClient, SyncFrames> _syncFrames = [];
    private int _syncs;

    /// <summary>The transcript so far, not normalized.</summary>
    public IReadOnlyList<string> Lines => _lines;

    /// <summary>A comment line (the golden files start with one that says how they were made).</summary>
    public void Comment(string text) => _lines.Add("# " + text);

    /// <summary>Starts a step of the script: an empty line, then its description.</summary>
    public void Step(string description)
    {
        _lines.Add("");
        _lines.Add("# " + description);
    }

    /// <summary>Connects a client; <paramref name="sync"/> when it speaks another protocol than the session's default.</summary>
    public async Task<WireClient> ConnectAsync(string name, Uri url, bool dropServerHeartbeats = false, SyncFrames? sync = null)
    {
        _lines.Add($"> {name} [connect {url}]");
        var client = await WireClient.ConnectAsync(name, url, dropServerHeartbeats);
        _clients.Add(client);
        _syncFrames[client] = sync ?? defaultSync;
        return client;
    }

    /// <summary>A WebSocket upgrade the server refuses with an HTTP status: the status and the body are recorded.</summary>
    public async Task RefusedUpgradeAsync(string name, HttpClient http, string pathAndQuery)
    {
        _lines.Add($"> {name} [connect {new Uri(http.BaseAddress!, pathAndQuery)}]");
        using var request = new HttpRequestMessage(HttpMethod.Get, pathAndQuery);
        request.Headers.Connection.Add("Upgrade");
        request.Headers.Upgrade.Add(new System.Net.Http.Headers.ProductHeaderValue("websocket"));
        request.Headers.Add("Sec-WebSocket-Version", "13");
        request.Headers.Add("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==");
        using var response = await http.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        _lines.Add($"< {name} [http {(int)response.StatusCode} {response.Content.Headers.ContentType}] {body}");
    }

    /// <summary>Sends a text frame; <paramref name="shown"/> stands for it in the transcript when it is too long to write out.</summary>
    public async Task SendAsync(WireClient client, string text, string? shown = null)
    {
        _lines.Add($"> {client.Name} {shown ?? text}");
        await client.SendTextAsync(text);
    }

    public async Task SendBinaryAsync(WireClient client, byte[] bytes)
    {
        _lines.Add($"> {client.Name} {new WireFrame(WebSocketMessageType.Binary, bytes).Render()}");
        await client.SendBinaryAsync(bytes);
    }

    /// <summary>The client starts the close handshake; the server's close frame is then read like any frame.</summary>
    public async Task CloseAsync(WireClient client, WebSocketCloseStatus status, string description)
    {
        _lines.Add($"> {client.Name} {new WireFrame(WebSocketMessageType.Close, [], status, description).Render()}");
        await client.CloseOutputAsync(status, description);
    }

    /// <summary>Records the next <paramref name="count"/> frames of <paramref name="client"/> (for frames that come from the database, whose arrival nothing else marks).</summary>
    public async Task<List<WireFrame>> ExpectAsync(WireClient client, int count)
    {
        var frames = new List<WireFrame>();
        for (var i = 0; i < count; i++)
        {
            var frame = await client.NextAsync();
            Record(client, frame);
            frames.Add(frame);
        }
        return frames;
    }

    /// <summary>
    /// Reads the next <paramref name="count"/> frames, whose relative order the server does not guarantee, and records them
    /// sorted by <paramref name="key"/> (a stable sort: frames with equal keys keep their order of arrival).
    /// </summary>
    public async Task<List<WireFrame>> ExpectInCanonicalOrderAsync(WireClient client, int count, Func<JsonElement, string> key)
    {
        var frames = new List<(WireFrame Frame, string Key)>();
        for (var i = 0; i < count; i++)
        {
            var frame = await client.NextAsync();
            using var document = JsonDocument.Parse(frame.Bytes);
            frames.Add((frame, key(document.RootElement)));
        }
        var sorted = frames.OrderBy(f => f.Key, StringComparer.Ordinal).Select(f => f.Frame).ToList();
        foreach (var frame in sorted)
            Record(client, frame);
        return sorted;
    }

    /// <summary>
    /// For each client in turn: sends a heartbeat with a ref and records every frame that arrives before its reply. The
    /// heartbeat and its reply are not written (they are not part of the script); the reply must match byte for byte, or the
    /// script waits for it and fails, with every frame that came instead recorded. Syncing a client after another client's
    /// action records what that action queued to it, since the action was handled before the first client's reply.
    /// </summary>
    public async Task<List<WireFrame>> SyncAsync(params WireClient[] clients)
    {
        var recorded = new List<WireFrame>();
        foreach (var client in clients)
        {
            var sync = _syncFrames[client];
            var reference = "sync-" + (++_syncs).ToString(System.Globalization.CultureInfo.InvariantCulture);
            await client.SendTextAsync(sync.Request(reference));
            var reply = sync.Reply(reference);
            while (true)
            {
                var frame = await client.NextAsync();
                if (frame.Type == WebSocketMessageType.Text && frame.Text == reply)
                    break;
                Record(client, frame);
                recorded.Add(frame);
            }
        }
        return recorded;
    }

    /// <summary>Syncs every client still open, in the order they connected (the end of a script: nothing unexpected is left).</summary>
    public Task<List<WireFrame>> SyncAllAsync() => SyncAsync([.. _clients.Where(c => c.IsOpen)]);

    private void Record(WireClient client, WireFrame frame) => _lines.Add($"< {client.Name} {frame.Render()}");

    public async ValueTask DisposeAsync()
    {
        foreach (var client in _clients)
            await client.DisposeAsync();
    }
}
