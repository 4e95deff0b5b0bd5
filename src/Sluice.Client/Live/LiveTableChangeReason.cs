namespace Sluice.Client;

/// <summary>Why a <see cref="LiveTable{TKey,TRow}"/> changed.</summary>
public enum LiveTableChangeReason
{
    /// <summary>A committed transaction was applied; <see cref="LiveTableChangedEventArgs{TKey,TRow}.Changes"/> lists its changes.</summary>
    Transaction,
    /// <summary>A WebSocket snapshot replaced every row (at start, or after a resync or the return from fallback).</summary>
    Snapshot,
    /// <summary>An HTTP refresh in fallback mode replaced every row.</summary>
    FallbackRefresh,
}
