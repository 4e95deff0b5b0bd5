using System.Diagnostics.Metrics;
using System.Text.Json.Serialization.Metadata;
using Microsoft.Extensions.Logging;

namespace Sluice.Client;

/// <summary>Builds a <see cref="SluiceClient"/>, in the style of SignalR's <c>HubConnectionBuilder</c>.</summary>
/// <example>
/// <code>
/// await using var client = new SluiceClientBuilder()
///     .WithUrl("ws://localhost:8080/realtime")
///     .WithReconnectPolicy(new ExponentialBackoffPolicy(maxDelay: TimeSpan.FromSeconds(10)))
///     .Build();
/// </code>
/// </example>
public sealed partial class SluiceClientBuilder
{
    private readonly SluiceClientOptions _options = new();

    /// <summary>The server's WebSocket endpoint, e.g. <c>ws://localhost:8080/realtime</c>.</summary>
    /// <param name="url">The endpoint.</param>
    public SluiceClientBuilder WithUrl(string url) => WithUrl(new Uri(url));

    /// <summary>The server's WebSocket endpoint.</summary>
    /// <param name="url">The endpoint.</param>
    public SluiceClientBuilder WithUrl(Uri url)
    {
        _options.Url = url;
        return this;
    }

    /// <summary>A fixed access token, sent as <c>?token=</c>.</summary>
    /// <param name="token">The token.</param>
    public SluiceClientBuilder WithAccessToken(string token)
    {
        _options.AccessToken = token;
        return this;
    }

    /// <summary>A token provider called before every connection attempt.</summary>
    /// <param name="provider">Returns the current token, or null for none.</param>
    public SluiceClientBuilder WithAccessTokenProvider(Func<CancellationToken, ValueTask<string?>> provider)
    {
        _options.AccessTokenProvider = provider;
        return this;
    }

    /// <summary>How often to send heartbeats, and after how long without any traffic a connection counts as dead.</summary>
    /// <param name="interval">The heartbeat interval.</param>
    /// <param name="timeout">The dead-connection timeout; longer than <paramref name="interval"/>.</param>
    public SluiceClientBuilder WithHeartbeat(TimeSpan interval, TimeSpan timeout)
    {
        _options.HeartbeatInterval = interval;
        _options.HeartbeatTimeout = timeout;
        return this;
    }

    /// <summary>Whether and when to reconnect after a loss or a failed attempt (told the close code and the last error).</summary>
    /// <param name="policy">The policy, e.g. <see cref="ExponentialBackoffPolicy"/> (the default) or your own.</param>
    public SluiceClientBuilder WithReconnectPolicy(IReconnectPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        _options.ReconnectPolicy = policy;
        return this;
    }

    /// <summary>
    /// Makes <see cref="SluiceClient.StartAsync"/> return at once and connect in the background, retrying as the policy
    /// says, instead of completing when the server accepted the connection (<see cref="SluiceClientOptions.StartInBackground"/>).
    /// </summary>
    /// <param name="enabled">False restores the default.</param>
    public SluiceClientBuilder WithBackgroundStart(bool enabled = true)
    {
        _options.StartInBackground = enabled;
        return this;
    }

    /// <summary>The serializer for rows.</summary>
    /// <param name="serializer">The serializer.</param>
    public SluiceClientBuilder WithSerializer(ISluiceSerializer serializer)
    {
        _options.Serializer = serializer;
        return this;
    }

    /// <summary>Uses System.Text.Json with your source-generated context only (no reflection): trimming- and AOT-friendly.</summary>
    /// <param name="context">Your <c>JsonSerializerContext</c>, e.g. <c>AppJsonContext.Default</c>.</param>
    public SluiceClientBuilder WithJsonSerializerContext(IJsonTypeInfoResolver context)
    {
        _options.Serializer = new SystemTextJsonSluiceSerializer(SystemTextJsonSluiceSerializer.CreateOptions(context));
        return this;
    }

    /// <summary>Where to log.</summary>
    /// <param name="loggerFactory">The logger factory.</param>
    public SluiceClientBuilder WithLoggerFactory(ILoggerFactory loggerFactory)
    {
        _options.LoggerFactory = loggerFactory;
        return this;
    }

    /// <summary>Where the client's meter comes from (<see cref="SluiceClientOptions.MeterFactory"/>); <c>AddSluiceClient</c> sets the container's.</summary>
    /// <param name="meterFactory">The meter factory.</param>
    public SluiceClientBuilder WithMeterFactory(IMeterFactory meterFactory)
    {
        _options.MeterFactory = meterFactory;
        return this;
    }

    /// <summary>The HTTP fallback of live tables: start polling after <paramref name="after"/> without a WebSocket.</summary>
    /// <param name="after">How long without a WebSocket before polling starts; null disables the fallback.</param>
    /// <param name="pollInterval">How often to poll in fallback mode.</param>
    public SluiceClientBuilder WithFallback(TimeSpan? after, TimeSpan? pollInterval = null)
    {
        _options.FallbackAfter = after;
        if (pollInterval is { } interval)
            _options.FallbackPollInterval = interval;
        return this;
    }

    /// <summary>Changes any other setting.</summary>
    /// <param name="configure">Receives the options being built.</param>
    public SluiceClientBuilder Configure(Action<SluiceClientOptions> configure)
    {
        configure(_options);
        return this;
    }

    /// <summary>Creates the client (not started yet: call <see cref="SluiceClient.StartAsync"/>). The client copies the
    /// settings: building again, or changing this builder afterwards, does not change a client already built.</summary>
    /// <exception cref="ArgumentException">A setting is invalid; the message names it.</exception>
    public SluiceClient Build() => new(_options);
}
