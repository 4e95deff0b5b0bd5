using System.ComponentModel.DataAnnotations;

namespace Sluice.Server.Limits;

/// <summary>
/// Per-connection and per-client limits, bound from the <c>Sluice:Limits</c> configuration section (see the README's
/// "Limits"). The largest accepted frame is <see cref="Hosting.SluiceOptions.MaxMessageBytes"/>.
/// </summary>
public sealed class LimitsOptions
{
    /// <summary>The configuration section these settings are bound from.</summary>
    public const string SectionName = "Sluice:Limits";

    /// <summary>Most channels one connection may be subscribed to; one more is refused with <c>too_many_channels</c>.</summary>
    [Range(1, 1_000_000)]
    public int MaxChannelsPerConnection { get; set; } = 100;

    /// <summary>Client frames per second one connection may send on average (every frame counts, heartbeats too).</summary>
    [Range(1, 1_000_000)]
    public int MessagesPerSecond { get; set; } = 100;

    /// <summary>Client frames one connection may send at once before <see cref="MessagesPerSecond"/> applies.</summary>
    [Range(1, 1_000_000)]
    public int MessageBurst { get; set; } = 200;

    /// <summary>
    /// Refused frames a connection may accumulate before it is closed with 4029; the count drains at
    /// <see cref="MessagesPerSecond"/>, so only a client sending more than twice the rate is ever closed.
    /// </summary>
    [Range(1, 1_000_000)]
    public int RefusedMessagesBeforeClose { get; set; } = 200;

    /// <summary>Most WebSocket connections open at once from one client IP address; one more is refused with <c>too_many_connections</c>.</summary>
    [Range(1, 10_000_000)]
    public int MaxConnectionsPerAddress { get; set; } = 1000;
}
