using System.Text.Json;
using Sluice.Client.Protocol;

namespace Sluice.Client.Channels;

/// <summary>What the socket reader hands to a channel's dispatcher, in stream order.</summary>
internal abstract record ChannelItem;

/// <summary>A change accepted from the stream.</summary>
internal sealed record ChangeItem(ChangeFrame Change) : ChannelItem;

/// <summary>A complete set of current rows (a WebSocket snapshot, or an HTTP refresh in fallback mode); replaces everything held.</summary>
internal sealed record SnapshotItem(IReadOnlyList<JsonElement> Rows, string? Offset, bool FromHttp) : ChannelItem;

/// <summary>The server cannot resume the channel; a fresh snapshot follows.</summary>
internal sealed record ResyncItem(string Reason) : ChannelItem;
