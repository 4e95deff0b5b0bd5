using System.Collections.Immutable;
using System.Runtime.InteropServices;
using System.Text.Json;
using Sluice.Client.Channels;
using Sluice.Client.Protocol;
using Sluice.Client.Telemetry;

namespace Sluice.Client;

public sealed partial class LiveTable<TKey, TRow> : IChannelConsumer
{
    /// <summary>Changes of the transaction being received; applied together when its last change (<c>tx_end</c>) arrives.</summary>
    private readonly List<ChangeFrame> _transaction = [];

    ValueTask IChannelConsumer.ConsumeAsync(ChannelItem item)
    {
        switch (item)
        {
            case SnapshotItem snapshot:
                ApplySnapshot(snapshot);
                break;
            case ChangeItem change:
                _transaction.Add(change.Change);
                if (change.Change.TransactionEnd)
                    ApplyTransaction();
                break;
            case ResyncItem:
                _transaction.Clear();
                lock (_syncGate)
                {
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

    private void ApplySnapshot(SnapshotItem snapshot)
    {
        using var activity = ClientTelemetry.ActivitySource.StartActivity("sluice.live_table.apply");
        activity?.SetTag("sluice.channel", Channel);
        activity?.SetTag("sluice.rows", snapshot.Rows.Count);
        _transaction.Clear();
        var builder = Volatile.Read(ref _rows).Clear().ToBuilder();
        foreach (var row in snapshot.Rows)
        {
            if (TryDeserialize(row, out var value))
                builder[_key(value)] = value;
        }
        var rows = builder.ToImmutable();
        Volatile.Write(ref _rows, rows);
        lock (_syncGate)
        {
            _offset = snapshot.Offset;
            _mode = snapshot.FromHttp ? LiveTableMode.Fallback : LiveTableMode.Streaming;
            _synced.TrySetResult();
        }
        RaiseChanged(snapshot.FromHttp ? LiveTableChangeReason.FallbackRefresh : LiveTableChangeReason.Snapshot, [], rows);
    }

    private void ApplyTransaction()
    {
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
        var handler = Changed;
        if (handler is null)
            return;
        try
        {
            handler(this, new LiveTableChangedEventArgs<TKey, TRow>(reason, changes, rows));
        }
        catch (Exception ex)
        {
            _client.ReportError(ClientErrorCodes.HandlerFailed, $"a Changed handler of {Channel} threw: {ex.Message}", Channel, ex);
        }
    }
}
