using System.Text.Json;
using Sluice.Client.Protocol;

namespace Sluice.Client.Channels;

/// <summary>What the socket reader hands to a channel's dispatcher, in stream order.</summary>
internal abstract record ChannelItem;

/// <summary>A change accepted from the stream.</summary>
internal sealed record ChangeItem(ChangeFrame Change) : ChannelItem;

/// <summary>
/// A complete set of current rows (a WebSocket snapshot, or an HTTP refresh in fallback mode); replaces everything held.
/// <paramref name="ReducedRows"/> lists the rows among <paramref name="Rows"/> that came reduced (over the server's maximum
/// record size; only from a WebSocket snapshot).
/// </summary>
internal sealed record SnapshotItem(IReadOnlyList<JsonElement> Rows, string? Offset, bool FromHttp, IReadOnlyList<ReducedSnapshotRow>? ReducedRows = null) : ChannelItem;

/// <summary>
/// A snapshot row at <paramref name="Index"/> of the whole snapshot that came with only its key columns and small values;
/// <paramref name="KeyFilter"/> finds it whole over HTTP (null when its key cannot be written as a filter).
/// </summary>
internal sealed record ReducedSnapshotRow(int Index, string? KeyFilter, IReadOnlyList<string> OmittedColumns);

/// <summary>The server cannot resume the channel (a fresh snapshot follows on table channels); <paramref name="LostAfter"/> is
/// the offset the resume was asked from.</summary>
internal sealed record ResyncItem(string Reason, string? LostAfter = null) : ChannelItem;

/// <summary>A message of a room.</summary>
internal sealed record RoomMessageItem(RoomMessageFrame Message) : ChannelItem;

/// <summary>A room's complete presence (<c>presence_state</c>).</summary>
internal sealed record PresenceStateItem(IReadOnlyList<PresenceEntry> Presences) : ChannelItem;

/// <summary>A room's presence changes (<c>presence_diff</c>).</summary>
internal sealed record PresenceDiffItem(IReadOnlyList<PresenceEntry> Joins, IReadOnlyList<PresenceEntry> Leaves) : ChannelItem;

/// <summary>A room's database broadcast.</summary>
internal sealed record DatabaseBroadcastItem(DatabaseBroadcastFrame Broadcast) : ChannelItem;

/// <summary>A room's database broadcasts could not continue from <paramref name="LostAfter"/>; they start again from the present.</summary>
internal sealed record DatabaseResyncItem(string Reason, string? LostAfter) : ChannelItem;
