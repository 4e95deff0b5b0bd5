using System.Collections;
using System.Collections.Immutable;
using System.Diagnostics.CodeAnalysis;
using Microsoft.Extensions.Logging;
using Sluice.Client.Channels;
using Sluice.Protocol;

namespace Sluice.Client;

/// <summary>
/// A local replica of a table (or of the rows matching a filter), made with
/// <see cref="SluiceClient.LiveTable{TKey,TRow}"/>. It starts from a snapshot that joins the change stream exactly,
/// applies each transaction atomically (readers never see half of one), resumes after disconnects and server restarts
/// from its last offset with nothing lost, duplicated or reordered, starts over from a fresh snapshot when the server
/// asks for a resync, clears on TRUNCATE, and refreshes over HTTP while no WebSocket can be made.
/// </summary>
/// <remarks>
/// Reading is lock-free and thread-safe: every member reads the latest immutable version of the rows; use
/// <see cref="Rows"/> to hold one consistent version across several reads. <see cref="Changed"/> runs on the table's
/// dispatcher, never on the socket reader; while it runs, further changes wait in the channel's buffer.
/// </remarks>
/// <typeparam name="TKey">The row key type.</typeparam>
/// <typeparam name="TRow">The row type.</typeparam>
public sealed partial class LiveTable<TKey, TRow> : IReadOnlyDictionary<TKey, TRow>, IAsyncDisposable, IDisposable where TKey : notnull
{
    private readonly SluiceClient _client;
    private readonly Func<TRow, TKey> _key;
    private readonly ISluiceSerializer _serializer;
    private readonly ILogger _logger;
    private readonly Lock _syncGate = new();
    private ImmutableDictionary<TKey, TRow> _rows;
    private TaskCompletionSource _synced = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private LiveTableMode _mode;
    private string? _offset;
    private SluiceException? _failure;

    internal LiveTable(SluiceClient client, TableChannel channel, string? filter, Func<TRow, TKey> key, IEqualityComparer<TKey>? keyComparer,
        ISluiceSerializer serializer, ILogger logger)
    {
        _client = client;
        _key = key;
        _serializer = serializer;
        _logger = logger;
        _rows = ImmutableDictionary.Create<TKey, TRow>(keyComparer);
        Schema = channel.Schema;
        Table = channel.Table;
        Channel = channel.ToString();
        Filter = filter;
    }

    /// <summary>The rows changed: a transaction, a snapshot or a fallback refresh was applied. A throwing handler is reported through <see cref="SluiceClient.Error"/>.</summary>
    public event EventHandler<LiveTableChangedEventArgs<TKey, TRow>>? Changed;

    /// <summary>The table's schema.</summary>
    public string Schema { get; }

    /// <summary>The table's name.</summary>
    public string Table { get; }

    /// <summary>The channel name, <c>table:{schema}.{table}</c>.</summary>
    public string Channel { get; }

    /// <summary>The row filter, or null for every row.</summary>
    public string? Filter { get; }

    /// <summary>The current rows as one immutable, consistent version.</summary>
    public IReadOnlyDictionary<TKey, TRow> Rows => Volatile.Read(ref _rows);

    /// <summary>Whether a complete set of rows has been applied (and no resync is in progress).</summary>
    public bool IsSynced => Volatile.Read(ref _synced).Task.IsCompletedSuccessfully;

    /// <summary>Where the data comes from right now.</summary>
    public LiveTableMode Mode
    {
        get
        {
            lock (_syncGate)
                return _mode;
        }
    }

    /// <summary>
    /// Why the table stopped by itself, or null while it runs: the reconnect policy gave up retrying a failed HTTP read (a
    /// fallback poll, or the whole read of a row too large to stream). Its <see cref="SluiceException.Code"/> is the
    /// server's (e.g. <c>database_unavailable</c>) or <see cref="ClientErrorCodes.FallbackFailed"/>. A stopped table keeps
    /// its rows as they were and receives nothing more; dispose it and create another to try again.
    /// </summary>
    public SluiceException? Failure
    {
        get
        {
            lock (_syncGate)
                return _failure;
        }
    }

    /// <summary>The offset the rows are consistent with (the last applied transaction or snapshot); null before the first, and after an HTTP refresh.</summary>
    public string? Offset
    {
        get
        {
            lock (_syncGate)
                return _offset;
        }
    }

    internal ChannelState State { get; set; } = null!;

    /// <summary>Completes once the table holds a complete set of rows (at once if it does); throws <see cref="Failure"/> once the table stopped.</summary>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <exception cref="SluiceException">The table stopped: the reconnect policy gave up on a failed HTTP read (<see cref="Failure"/>).</exception>
    public Task WaitUntilSyncedAsync(CancellationToken cancellationToken = default) =>
        Volatile.Read(ref _synced).Task.WaitAsync(cancellationToken);

    /// <inheritdoc/>
    public TRow this[TKey key] => Rows[key];

    /// <inheritdoc/>
    public IEnumerable<TKey> Keys => Rows.Keys;

    /// <inheritdoc/>
    public IEnumerable<TRow> Values => Rows.Values;

    /// <inheritdoc/>
    public int Count => Rows.Count;

    /// <inheritdoc/>
    public bool ContainsKey(TKey key) => Rows.ContainsKey(key);

    /// <inheritdoc/>
    public bool TryGetValue(TKey key, [MaybeNullWhen(false)] out TRow value) => Rows.TryGetValue(key, out value);

    /// <inheritdoc/>
    public IEnumerator<KeyValuePair<TKey, TRow>> GetEnumerator() => Rows.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>
    /// Stops the replica at once (no more changes applied or <see cref="Changed"/> calls begun, no more fallback polling;
    /// the rows stay readable), then waits for the unsubscribe to be sent, for a running <see cref="Changed"/> handler to
    /// finish (unless called from one) and for the fallback to end.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        // Closing the channel marks it closed and cancels the fallback before the first await: what Dispose relies on.
        await _client.CloseChannelAsync(State, sendUnsubscribe: true).ConfigureAwait(false);
        await _fallback.ConfigureAwait(false);
        _fallbackStop.Dispose();
    }

    /// <summary>
    /// Stops the replica at once: once this returns, no <see cref="Changed"/> handler call begins (neither the next
    /// handler of the step being raised nor the next step), no more changes are applied and the fallback stops polling;
    /// the rows stay readable. A <see cref="Changed"/> handler already running finishes on its own; this does not wait
    /// for it. The unsubscribe is sent in the background; use <see cref="DisposeAsync"/> to wait for it.
    /// </summary>
    public void Dispose() => _ = DisposeAsync().AsTask();
}
