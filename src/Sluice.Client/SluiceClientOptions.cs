using System.Diagnostics.Metrics;
using System.Net.WebSockets;
using Microsoft.Extensions.Logging;

namespace Sluice.Client;

/// <summary>
/// Settings of a <see cref="SluiceClient"/>. Build them with <see cref="SluiceClientBuilder"/> (or bind them from
/// configuration with <see cref="SluiceClientBuilder.WithConfiguration"/>). The client copies them when it is created:
/// changing this object afterwards changes nothing.
/// </summary>
public sealed class SluiceClientOptions
{
    /// <summary>The server's WebSocket endpoint, e.g. <c>ws://localhost:8080/realtime</c>. Required.</summary>
    public Uri? Url { get; set; }

    /// <summary>A fixed access token, sent as <c>?token=</c>. Ignored when <see cref="AccessTokenProvider"/> is set.</summary>
    public string? AccessToken { get; set; }

    /// <summary>Called before every connection attempt (and HTTP request) for a fresh access token; null for none.</summary>
    public Func<CancellationToken, ValueTask<string?>>? AccessTokenProvider { get; set; }

    /// <summary>How often the client sends a heartbeat frame. Default 15 s.</summary>
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// A connection on which nothing at all arrives for this long is considered dead and replaced. Default 45 s
    /// (the server answers every heartbeat, which the client sends with a ref, and sends its own every 30 s).
    /// </summary>
    public TimeSpan HeartbeatTimeout { get; set; } = TimeSpan.FromSeconds(45);

    /// <summary>How long one connection attempt (TCP, TLS, WebSocket upgrade) may take. Default 15 s.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>Whether and when to reconnect, told the close code and the last error. Default <see cref="ExponentialBackoffPolicy"/>
    /// (full jitter, 0.5–30 s; stops on close 4001, reconnects at once after 4008, waits longer after 1013 and 4029).</summary>
    public IReconnectPolicy ReconnectPolicy { get; set; } = new ExponentialBackoffPolicy();

    /// <summary>
    /// False (the default): <see cref="SluiceClient.StartAsync"/> completes when the server accepted a connection, and
    /// throws when the <see cref="ReconnectPolicy"/> gives up first (e.g. the token was refused). True: it returns once
    /// the connection loop runs, which connects and retries in the background; failures are reported only through
    /// <see cref="SluiceClient.StateChanged"/> and <see cref="SluiceClient.Error"/>. For apps that must start while the
    /// server is unreachable (a <see cref="LiveTable{TKey,TRow}"/> then serves its HTTP fallback).
    /// </summary>
    public bool StartInBackground { get; set; }

    /// <summary>Turns rows, room payloads and presence states into your types, and your payloads and states into JSON. Default: <see cref="SystemTextJsonSluiceSerializer"/> with reflection, where reflection-based JSON is enabled (in trimmed and native-AOT apps, pass <see cref="SystemTextJsonSluiceSerializer.FromContext"/>).</summary>
    public ISluiceSerializer? Serializer { get; set; }

    /// <summary>Where the client logs. Default: no logging.</summary>
    public ILoggerFactory? LoggerFactory { get; set; }

    /// <summary>Creates the client's <see cref="Meter"/> (<see cref="SluiceClientDiagnostics.MeterName"/>); default a process-wide meter.</summary>
    public IMeterFactory? MeterFactory { get; set; }

    /// <summary>
    /// How many changes (or snapshots) may wait per channel for slow handlers. When full, the channel pauses: the client
    /// stops taking the channel's frames and, once the handlers have worked off half the buffer, resumes it from the last
    /// buffered offset, so nothing is lost and the socket reader never waits. Default 10,000.
    /// </summary>
    public int ChannelBufferCapacity { get; set; } = 10_000;

    /// <summary>
    /// When no WebSocket could be established for this long, <see cref="LiveTable{TKey,TRow}"/>s refresh by polling
    /// <c>GET /api/tables/{schema}.{table}/rows</c>. Null turns the fallback off. Default 30 s.
    /// </summary>
    public TimeSpan? FallbackAfter { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How often a live table polls in fallback mode. Default 10 s.</summary>
    public TimeSpan FallbackPollInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The HTTP base address of the server for the fallback; default derived from <see cref="Url"/> (ws → http, wss → https).</summary>
    public Uri? HttpBaseAddress { get; set; }

    /// <summary>Adjusts each <see cref="ClientWebSocket"/> before it connects (headers, proxy, certificates).</summary>
    public Action<ClientWebSocketOptions>? ConfigureWebSocket { get; set; }

    /// <summary>The handler of the fallback's <see cref="HttpClient"/>; default a new <see cref="SocketsHttpHandler"/>.</summary>
    public HttpMessageHandler? HttpMessageHandler { get; set; }

    /// <summary>The clock for heartbeats, backoff and fallback timing. Default <see cref="TimeProvider.System"/>.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>Throws <see cref="ArgumentException"/> describing the first invalid setting.</summary>
    public void Validate()
    {
        if (Url is null)
            throw new ArgumentException("SluiceClientOptions.Url is required, e.g. ws://localhost:8080/realtime", nameof(Url));
        if (Url.Scheme is not ("ws" or "wss"))
            throw new ArgumentException($"SluiceClientOptions.Url must be a ws:// or wss:// address, not {Url}", nameof(Url));
        Positive(HeartbeatInterval, nameof(HeartbeatInterval));
        Positive(HeartbeatTimeout, nameof(HeartbeatTimeout));
        Positive(ConnectTimeout, nameof(ConnectTimeout));
        Positive(FallbackPollInterval, nameof(FallbackPollInterval));
        if (FallbackAfter is { } fallbackAfter)
            Positive(fallbackAfter, nameof(FallbackAfter));
        if (HeartbeatTimeout <= HeartbeatInterval)
            throw new ArgumentException("HeartbeatTimeout must be longer than HeartbeatInterval", nameof(HeartbeatTimeout));
        if (ChannelBufferCapacity < 2)
            throw new ArgumentException("ChannelBufferCapacity must be at least 2", nameof(ChannelBufferCapacity));
        ArgumentNullException.ThrowIfNull(ReconnectPolicy);
        ArgumentNullException.ThrowIfNull(TimeProvider);
    }

    /// <summary>A copy: the client keeps its own, so later changes to these options do not reach it.</summary>
    internal SluiceClientOptions Clone() => (SluiceClientOptions)MemberwiseClone();

    private static void Positive(TimeSpan value, string name)
    {
        if (value <= TimeSpan.Zero)
            throw new ArgumentException($"{name} must be positive", name);
    }
}
