using Sluice.Protocol;

namespace Sluice.Server.Protocols.Messages;

/// <summary>A frame sent by a client on the native protocol.</summary>
internal sealed class ClientMessage
{
    /// <summary>The frame type, e.g. <see cref="FrameTypes.Subscribe"/>.</summary>
    public required string Type { get; init; }

    /// <summary>The channel, e.g. <c>table:public.products</c>.</summary>
    public string? Channel { get; init; }

    /// <summary>
    /// A table subscription's client-chosen id (<see cref="SubscriptionIds"/>, not yet checked against the rule): with it, a
    /// connection holds several subscriptions of one table, one per id; null for the one without an id.
    /// </summary>
    public string? Id { get; init; }

    /// <summary>The change types wanted; null means all.</summary>
    public ChangeEvents? Events { get; init; }

    /// <summary>A row filter such as <c>id=eq.5</c>; null means every row.</summary>
    public string? Filter { get; init; }

    /// <summary>Resume after this offset.</summary>
    public string? Since { get; init; }

    /// <summary>
    /// A room subscription's position in the room's database broadcasts (a change-log offset, separate from the room's own
    /// <see cref="Since"/>): resume them after this offset.
    /// </summary>
    public string? DatabaseSince { get; init; }

    /// <summary>Send the current rows before live changes.</summary>
    public bool Snapshot { get; init; }

    /// <summary>Send the changes replayed from the retention window several to a frame (<see cref="FrameTypes.Changes"/>).</summary>
    public bool BatchCatchUp { get; init; }

    /// <summary>A JWT, carried by <see cref="FrameTypes.Auth"/> frames.</summary>
    public string? Token { get; init; }

    /// <summary>The event name of a room <see cref="FrameTypes.Broadcast"/>.</summary>
    public string? Event { get; init; }

    /// <summary>The <c>payload</c> of a room broadcast as raw UTF-8 JSON (any JSON value, <c>null</c> included); null when absent.</summary>
    public byte[]? Payload { get; init; }

    /// <summary>A room broadcast is also delivered to its sender.</summary>
    public bool Self { get; init; }

    /// <summary>A room broadcast asks for a <see cref="FrameTypes.BroadcastAck"/>.</summary>
    public bool Ack { get; init; }

    /// <summary>The client's reference of a room broadcast, echoed in its ack and errors.</summary>
    public string? Ref { get; init; }

    /// <summary>Whether a <c>state</c> field was present (a <c>presence</c> frame with <c>"state": null</c> untracks).</summary>
    public bool HasState { get; init; }

    /// <summary>The presence <c>state</c> as a raw UTF-8 JSON object; null when absent or JSON null.</summary>
    public byte[]? State { get; init; }

    /// <summary>The presence entry's <c>key</c>; null means the token's subject, else the connection.</summary>
    public string? Key { get; init; }
}
