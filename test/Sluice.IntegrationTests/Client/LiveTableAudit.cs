using System.Collections.Concurrent;
using Sluice.Client;

namespace Sluice.IntegrationTests.Client;

/// <summary>
/// Watches a live table's <c>Changed</c> steps and records what a gap, a repeat or a reorder would look like: a
/// transaction step that does not end with <c>tx_end</c>, an offset not after the previous one (in one epoch), an
/// INSERT of a row already held, an UPDATE or DELETE whose old version is not the one held, a version going backwards.
/// </summary>
public sealed class LiveTableAudit
{
    private readonly Dictionary<long, int> _held = [];
    private readonly Dictionary<long, int> _highest = [];
    private readonly ConcurrentQueue<string> _violations = new();
    private string? _lastOffset;

    public LiveTableAudit(LiveTable<long, VersionedRow> table) => table.Changed += (_, e) => Check(e);

    public int Snapshots;
    public int Transactions;

    public IReadOnlyList<string> Violations => [.. _violations.Take(30)];

    private void Check(LiveTableChangedEventArgs<long, VersionedRow> step)
    {
        // Changed is raised on the table's dispatcher, one step at a time: no lock needed.
        if (step.Reason != LiveTableChangeReason.Transaction)
        {
            Snapshots++;
            _held.Clear();
            foreach (var (id, row) in step.Rows)
            {
                _held[id] = row.Version;
                Forward(id, row.Version, "snapshot");
            }
            _lastOffset = null;
            return;
        }
        Transactions++;
        if (!step.Changes[^1].IsTransactionEnd)
            _violations.Enqueue($"a transaction step ends without tx_end at {step.Changes[^1].Offset}");
        foreach (var change in step.Changes)
        {
            if (_lastOffset is not null && string.CompareOrdinal(change.Offset, _lastOffset) <= 0)
                _violations.Enqueue($"offset {change.Offset} after {_lastOffset}");
            _lastOffset = change.Offset;
            switch (change.Kind)
            {
                case ChangeKind.Insert:
                    if (_held.ContainsKey(change.Record!.Id))
                        _violations.Enqueue($"INSERT of held id {change.Record.Id} at {change.Offset}");
                    _held[change.Record.Id] = change.Record.Version;
                    Forward(change.Record.Id, change.Record.Version, change.Offset);
                    break;
                case ChangeKind.Update or ChangeKind.Delete:
                    var old = change.OldRecord!;
                    if (!_held.TryGetValue(old.Id, out var version) || version != old.Version)
                        _violations.Enqueue($"{change.Kind} of id {old.Id} from version {old.Version}, held {(_held.ContainsKey(old.Id) ? version : "nothing")} at {change.Offset}");
                    _held.Remove(old.Id);
                    if (change.Kind == ChangeKind.Update)
                    {
                        _held[change.Record!.Id] = change.Record.Version;
                        Forward(change.Record.Id, change.Record.Version, change.Offset);
                    }
                    break;
                case ChangeKind.Truncate:
                    _held.Clear();
                    break;
            }
        }
    }

    private void Forward(long id, int version, string where)
    {
        if (_highest.TryGetValue(id, out var highest) && version < highest)
            _violations.Enqueue($"id {id} went back from version {highest} to {version} ({where})");
        else
            _highest[id] = version;
    }
}
