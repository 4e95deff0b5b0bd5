using System.Collections.Immutable;
using System.Runtime.InteropServices;
using System.Text.Json;
using Sluice.Client.Channels;
using Sluice.Client.Protocol;
using Sluice.Client.Telemetry;
using Sluice.Protocol;

namespace Sluice.Client;

public sealed partial class LiveTable<TKey, TRow> : IChannelConsumer
{
    /// <summary>Changes of the transaction being received; applied together when its last change (<c>tx_end</c>) arrives.</summary>
    private readonly List<ChangeFrame> _transaction = [];

    ValueTask IChannelConsumer.ConsumeAsync(ChannelItem item)
    {
        switch (item)
        {
            case SnapshotItem { ReducedRows: { Count: > 0 } } snapshot:
                return ApplySnapshotAsync(snapshot);
            case SnapshotItem snapshot:
                ApplySnapshot(snapshot, null);
                break;
            case ChangeItem change:
                _transaction.Add(change.Change);
                if (change.Change.TransactionEnd)
                    return ApplyTransactionAsync();
                break;
            case ResyncItem:
                _transaction.Clear();
                lock (_syncGate)
                {
                    if (_failure is not null)
                        break;
                    _mode = LiveTableMode.Syncing;
                    if (_synced.Task.IsCompleted)
                        _synced = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                }
                break;
        }
        return ValueTask.CompletedTask;
    }

    void IChannelConsumer.OnClosed()
    {
        // Closed by the client's disposal (or our own): no more fallback polling either.
        try
        {
            _fallbackStop.Cancel();
        }
        catch (ObjectDisposedException)
        {
        }
    }

    /// <summary>
    /// Applies a snapshot that holds reduced rows (over the server's maximum record size): each is read whole over HTTP by its
    /// key first, as for changes (see <see cref="ApplyTransactionAsync"/>), so the replica never holds a partial row.
    /// </summary>
    private async ValueTask ApplySnapshotAsync(SnapshotItem snapshot)
    {
        var fetched = new List<(IReadOnlyList<JsonElement> Rows, bool Whole)>(snapshot.ReducedRows!.Count);
        foreach (var reduced in snapshot.ReducedRows)
        {
            try
            {
                fetched.Add(await FetchWholeAsync(reduced.KeyFilter).ConfigureAwait(false));
            }
            catch (OperationCanceledException) when (_fallbackStop.IsCancellationRequested)
            {
                return;
            }
        }
        ApplySnapshot(snapshot, fetched);
    }

    /// <summary>
    /// Replaces the rows with the snapshot's. Its reduced rows are left out and what <paramref name="fetched"/> read for them
    /// put in (nothing for a row gone or no longer matching the filter); a read of the whole table (a reduced row without a
    /// usable key) replaces everything, being as new as any of the snapshot's rows.
    /// </summary>
    private void ApplySnapshot(SnapshotItem snapshot, List<(IReadOnlyList<JsonElement> Rows, bool Whole)>? fetched)
    {
        if (Failure is not null || !Delivery.IsOpen(State))
            return;
        using var activity = ClientTelemetry.ActivitySource.StartActivity("sluice.live_table.apply");
        activity?.SetTag("sluice.channel", Channel);
        activity?.SetTag("sluice.rows", snapshot.Rows.Count);
        _transaction.Clear();
        var builder = Volatile.Read(ref _rows).Clear().ToBuilder();
        var reducedIndexes = snapshot.ReducedRows?.Select(row => row.Index).ToHashSet();
        for (var i = 0; i < snapshot.Rows.Count; i++)
        {
            if (reducedIndexes is null || !reducedIndexes.Contains(i))
            {
                if (TryDeserialize(snapshot.Rows[i], out var value))
                    builder[_key(value)] = value;
            }
        }
        foreach (var (wholeRows, whole) in fetched ?? [])
        {
            if (whole)
                builder.Clear();
            foreach (var row in wholeRows)
            {
                if (TryDeserialize(row, out var value))
                    builder[_key(value)] = value;
            }
        }
        var rows = builder.ToImmutable();
        Volatile.Write(ref _rows, rows);
        lock (_syncGate)
        {
            if (_failure is not null)
                return;
            _offset = snapshot.Offset;
            _mode = snapshot.FromHttp ? LiveTableMode.Fallback : LiveTableMode.Streaming;
            _synced.TrySetResult();
        }
        RaiseChanged(snapshot.FromHttp ? LiveTableChangeReason.FallbackRefresh : LiveTableChangeReason.Snapshot, [], rows);
    }

    /// <summary>
    /// Applies the received transaction. Rows that came reduced (over the server's maximum record size) are read whole over
    /// HTTP by their key first, so the replica never holds a partial row; the read gives the row as it is now, possibly a
    /// later version than this transaction's, which the changes still to come bring back in line.
    /// </summary>
    private async ValueTask ApplyTransactionAsync()
    {
        Dictionary<ChangeFrame, (IReadOnlyList<JsonElement> Rows, bool Whole)>? fetched = null;
        foreach (var frame in _transaction)
        {
            if (frame is not { TooLarge: true, Kind: ChangeKind.Insert or ChangeKind.Update })
                continue;
            try
            {
                (fetched ??= new(ReferenceEqualityComparer.Instance))[frame] = await FetchWholeAsync(frame.KeyFilter).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (_fallbackStop.IsCancellationRequested)
            {
                return;
            }
        }
        ApplyTransaction(fetched);
    }

    /// <summary>
    /// The current version of a reduced row, read over HTTP by its <paramref name="key"/> filter (with the table's filter),
    /// retried as the reconnect policy says until it succeeds, the table is disposed or the policy stops (which stops the table). Without a usable key, every row of the
    /// table (its filter) is read.
    /// </summary>
    private async Task<(IReadOnlyList<JsonElement> Rows, bool Whole)> FetchWholeAsync(string? key)
    {
        var filter = key is null ? Filter : Filter is null ? key : Filter + "," + key;
        var failures = new HttpFailures(_client.Options.TimeProvider);
        while (true)
        {
            try
            {
                return (await _client.GetRowsAsync(Schema, Table, filter, _fallbackStop.Token).ConfigureAwait(false), key is null);
            }
            catch (SluiceException ex) when (ex.Code == ErrorCodes.InvalidFilter && key is not null && filter != key)
            {
                // The table's filter and the key together are over the filter limits: the key alone finds the row.
                filter = key;
            }
            catch (Exception ex) when (ex is HttpRequestException or SluiceException or JsonException or TaskCanceledException && !_fallbackStop.IsCancellationRequested)
            {
                _client.ReportError(ex is SluiceException sluice ? sluice.Code : ClientErrorCodes.FallbackFailed,
                    $"reading a row of {Channel} that was too large to stream failed: {ex.Message}", Channel);
                // The policy's stop stops the table (and cancels _fallbackStop): the transaction is not applied half-read.
                var delay = RetryDelay(failures, ex) ?? throw new OperationCanceledException(_fallbackStop.Token);
                await Task.Delay(delay, _client.Options.TimeProvider, _fallbackStop.Token).ConfigureAwait(false);
            }
        }
    }

    private void ApplyTransaction(Dictionary<ChangeFrame, (IReadOnlyList<JsonElement> Rows, bool Whole)>? fetched)
    {
        // Disposed (or stopped) while the transaction's reduced rows were read: the rows stay as they were.
        if (!Delivery.IsOpen(State))
        {
            _transaction.Clear();
            return;
        }
        using var activity = ClientTelemetry.ActivitySource.StartActivity("sluice.live_table.apply");
        activity?.SetTag("sluice.channel", Channel);
        activity?.SetTag("sluice.changes", _transaction.Count);
        var builder = Volatile.Read(ref _rows).ToBuilder();
        var changes = new List<Change<TRow>>(_transaction.Count);
        foreach (var frame in _transaction)
        {
            TRow? record = default, old = default;
            if ((frame.Record is { } newRow && !TryDeserialize(newRow, out record)) || (frame.OldRecord is { } oldRow && !TryDeserialize(oldRow, out old)))
                continue;
            if (fetched is not null && fetched.TryGetValue(frame, out var whole))
            {
                // A reduced row: replaced by what the read found (nothing when it is gone or no longer matches the filter).
                if (whole.Whole)
                    builder.Clear();
                if (frame.OldRecord is not null)
                    builder.Remove(_key(old!));
                builder.Remove(_key(record!));
                foreach (var row in whole.Rows)
                {
                    if (TryDeserialize(row, out var value))
                        builder[_key(value)] = value;
                }
                if (whole.Rows.Count == 1 && TryDeserialize(whole.Rows[0], out var current))
                    record = current;
                changes.Add(new Change<TRow>(frame.Kind, frame.Schema, frame.Table, record, old, frame.Offset, frame.CommitTimestamp, frame.TransactionEnd)
                {
                    IsTooLarge = true,
                    OmittedColumns = frame.OmittedColumns,
                    KeyFilter = frame.KeyFilter,
                });
                continue;
            }
            switch (frame.Kind)
            {
                case ChangeKind.Insert:
                    builder[_key(record!)] = record!;
                    break;
                case ChangeKind.Update:
                    // Without old_record (row-level security hid the row as it was) the replica never had it.
                    if (frame.OldRecord is not null)
                        builder.Remove(_key(old!));
                    builder[_key(record!)] = record!;
                    break;
                case ChangeKind.Delete:
                    builder.Remove(_key(old!));
                    break;
                case ChangeKind.Truncate:
                    builder.Clear();
                    break;
            }
            changes.Add(new Change<TRow>(frame.Kind, frame.Schema, frame.Table, record, old, frame.Offset, frame.CommitTimestamp, frame.TransactionEnd));
        }
        var rows = builder.ToImmutable();
        Volatile.Write(ref _rows, rows);
        lock (_syncGate)
            _offset = _transaction[^1].Offset;
        _transaction.Clear();
        RaiseChanged(LiveTableChangeReason.Transaction, changes, rows);
    }

    private bool TryDeserialize(JsonElement row, out TRow value)
    {
        try
        {
            value = typeof(TRow) == typeof(JsonElement) ? (TRow)(object)row : _serializer.Deserialize<TRow>(JsonMarshal.GetRawUtf8Value(row));
            return true;
        }
        catch (Exception ex) when (ex is JsonException or NotSupportedException or InvalidOperationException)
        {
            _client.ReportError(ClientErrorCodes.DeserializationFailed, $"a row of {Channel} could not be read as {typeof(TRow).Name}: {ex.Message}", Channel, ex);
            value = default!;
            return false;
        }
    }

    private void RaiseChanged(LiveTableChangeReason reason, IReadOnlyList<Change<TRow>> changes, ImmutableDictionary<TKey, TRow> rows)
    {
        if (Changed is { } handlers)
        {
            Delivery.Raise(State, handlers, this, new LiveTableChangedEventArgs<TKey, TRow>(reason, changes, rows),
                ex => _client.ReportError(ClientErrorCodes.HandlerFailed, $"a Changed handler of {Channel} threw: {ex.Message}", Channel, ex));
        }
    }
}
