using Microsoft.Extensions.Options;
using Sluice.Protocol;
using Sluice.Server.Connections;
using Sluice.Server.Protocols.Native;

namespace Sluice.Server.Limits;

/// <summary>
/// The configured <see cref="LimitsOptions"/> as the endpoint and sessions use them: the per-address connection
/// counter, a rate limiter per connection, the channel check and the (shared, serialized once) refusal frames.
/// </summary>
public sealed class ConnectionLimits
{
    private readonly TimeProvider _time;

    public ConnectionLimits(IOptions<LimitsOptions> options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        Options = options.Value;
        _time = time;
        Addresses = new AddressConnectionCounter(Options.MaxConnectionsPerAddress);
        RateLimitedFrame = NativeFrames.Error(ErrorCodes.RateLimited,
            $"too many frames: at most {Options.MessagesPerSecond} per second (bursts of {Options.MessageBurst}); frames over the limit are dropped without being handled");
        FloodClosingFrame = NativeFrames.Error(ErrorCodes.RateLimited,
            $"too many frames: still sending far over {Options.MessagesPerSecond} per second; closing");
        TooManyConnectionsMessage = $"too many connections from this address: at most {Options.MaxConnectionsPerAddress}; close one or reconnect later";
    }

    public LimitsOptions Options { get; }

    /// <summary>Open connections per client IP address.</summary>
    public AddressConnectionCounter Addresses { get; }

    /// <summary>The <c>rate_limited</c> error sent (at most once a second) when frames are dropped.</summary>
    public byte[] RateLimitedFrame { get; }

    /// <summary>The <c>rate_limited</c> error sent before close 4029.</summary>
    public byte[] FloodClosingFrame { get; }

    /// <summary>The text of the <c>too_many_connections</c> error.</summary>
    public string TooManyConnectionsMessage { get; }

    /// <summary>A new rate limiter for one connection's frames.</summary>
    public FrameRateLimiter CreateRateLimiter() => new(Options, _time);

    /// <summary>
    /// Whether <paramref name="connection"/> may subscribe to <paramref name="channel"/>: it is below
    /// <see cref="LimitsOptions.MaxChannelsPerConnection"/>, or already subscribed to the channel (subscribing again replaces).
    /// Called by the connection's own session, the only place that adds its subscriptions; other threads only remove them
    /// (under the router's lock), so this unlocked read can be stale only towards refusing, never towards exceeding the limit.
    /// </summary>
    public bool AllowsSubscription(ClientConnection connection, string channel)
    {
        ArgumentNullException.ThrowIfNull(connection);
        var subscriptions = connection.Subscriptions;
        return subscriptions.Count < Options.MaxChannelsPerConnection || subscriptions.ContainsKey(channel);
    }

    /// <summary>The <c>too_many_channels</c> error for a refused subscribe.</summary>
    public byte[] TooManyChannels(string channel) => NativeFrames.Error(ErrorCodes.TooManyChannels,
        $"this connection is subscribed to the maximum of {Options.MaxChannelsPerConnection} channels; unsubscribe from one first", channel);
}
