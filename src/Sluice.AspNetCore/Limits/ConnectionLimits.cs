using Microsoft.Extensions.Options;

namespace Sluice.Server.Limits;

/// <summary>
/// The configured <see cref="LimitsOptions"/> as the endpoint and sessions use them: the per-address connection
/// counter, a rate limiter per connection, the channel limit and the texts of the refusals (each protocol frames them).
/// </summary>
internal sealed class ConnectionLimits
{
    private readonly TimeProvider _time;

    public ConnectionLimits(IOptions<LimitsOptions> options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        Options = options.Value;
        _time = time;
        Addresses = new AddressConnectionCounter(Options.MaxConnectionsPerAddress);
        TooManyConnectionsMessage = $"too many connections from this address: at most {Options.MaxConnectionsPerAddress}; close one or reconnect later";
    }

    public LimitsOptions Options { get; }

    /// <summary>Open connections per client IP address.</summary>
    public AddressConnectionCounter Addresses { get; }

    /// <summary>The text of the <c>too_many_connections</c> error.</summary>
    public string TooManyConnectionsMessage { get; }

    /// <summary>A new rate limiter for one connection's frames.</summary>
    public FrameRateLimiter CreateRateLimiter() => new(Options, _time);

    /// <summary>
    /// The channel limit, one rule for every protocol: a connection holding <paramref name="held"/> channels (table and
    /// room channels together, as its protocol counts them) may add one while below
    /// <see cref="LimitsOptions.MaxChannelsPerConnection"/>; subscribing again to a channel it holds
    /// (<paramref name="alreadyHeld"/>) replaces it and is allowed at the limit. Called by the connection's own session, the
    /// only place that adds its channels (others only remove them), so a stale count can only err towards refusing.
    /// </summary>
    public bool AllowsChannel(int held, bool alreadyHeld) => alreadyHeld || held < Options.MaxChannelsPerConnection;

    /// <summary>The text of the <c>too_many_channels</c> refusal.</summary>
    public string TooManyChannelsMessage =>
        $"this connection is subscribed to the maximum of {Options.MaxChannelsPerConnection} channels; unsubscribe from one first";

    /// <summary>The text of the <c>rate_limited</c> error sent (at most once a second) when frames are dropped.</summary>
    public string RateLimitedMessage =>
        $"too many frames: at most {Options.MessagesPerSecond} per second (bursts of {Options.MessageBurst}); frames over the limit are dropped without being handled";

    /// <summary>The text of the <c>rate_limited</c> error sent before close 4029.</summary>
    public string FloodClosingMessage => $"too many frames: still sending far over {Options.MessagesPerSecond} per second; closing";
}
