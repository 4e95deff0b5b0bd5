using System.Text.Json.Nodes;

namespace Sluice.Client.Tests.Fakes;

/// <summary>
/// A server-side change log for one channel that answers subscribes like the real server: <c>since</c> replays every
/// change after the offset, <c>snapshot</c> sends the rows as of some point in the log and then the changes after it.
/// Offsets are 1-based positions in the log (<see cref="Frames.Offset"/>).
/// </summary>
public sealed class ScriptedLog(string channel)
{
    private readonly List<(string Frame, Func<Dictionary<long, object>, Dictionary<long, object>> Apply)> _changes = [];

    public int Count => _changes.Count;

    public void Insert(long id, object row, bool txEnd = true) =>
        Add(Frames.Insert(channel, Count + 1, row, txEnd), rows => { rows[id] = row; return rows; });

    public void Update(long id, object row, object old, bool txEnd = true) =>
        Add(Frames.Update(channel, Count + 1, row, old, txEnd), rows => { rows[id] = row; return rows; });

    public void Delete(long id, object old, bool txEnd = true) =>
        Add(Frames.Delete(channel, Count + 1, old, txEnd), rows => { rows.Remove(id); return rows; });

    public void Truncate() => Add(Frames.Truncate(channel, Count + 1), _ => []);

    /// <summary>The rows after the first <paramref name="changes"/> changes.</summary>
    public Dictionary<long, object> RowsAt(int changes)
    {
        var rows = new Dictionary<long, object>();
        foreach (var (_, apply) in _changes.Take(changes))
            rows = apply(rows);
        return rows;
    }

    /// <summary>
    /// Answers subscribes on <paramref name="connection"/> until it ends. A snapshot is taken at a transaction boundary
    /// chosen by <paramref name="snapshotAt"/> (default: the end). After <paramref name="cutAfterFrames"/> frames
    /// (if given) the connection is aborted.
    /// </summary>
    public async Task ServeAsync(FakeConnection connection, Func<int, int>? snapshotAt = null, int? cutAfterFrames = null)
    {
        var sent = 0;
        try
        {
            while (true)
            {
                var subscribe = await connection.ReceiveSubscribeAsync();
                await connection.AckAsync(channel);
                var from = 0;
                if ((string?)subscribe["since"] is { } since)
                    from = Enumerable.Range(0, Count + 1).Single(i => Frames.Offset(i) == since);
                else if ((bool?)subscribe["snapshot"] == true)
                {
                    var boundaries = Enumerable.Range(0, Count + 1).Where(IsTransactionBoundary).ToList();
                    from = boundaries[Math.Clamp(snapshotAt?.Invoke(boundaries.Count) ?? boundaries.Count - 1, 0, boundaries.Count - 1)];
                    var rows = RowsAt(from).OrderBy(pair => pair.Key).Select(pair => pair.Value).ToArray();
                    var half = rows.Length / 2;
                    await connection.SendAsync(Frames.Snapshot(channel, rows[..half], last: false, offset: null));
                    await connection.SendAsync(Frames.Snapshot(channel, rows[half..], last: true, offset: from == 0 ? "000000e1-0000000000000000-00000000" : Frames.Offset(from)));
                }
                for (var i = from; i < Count; i++)
                {
                    if (cutAfterFrames is { } cut && sent++ >= cut)
                    {
                        connection.Abort();
                        return;
                    }
                    await connection.SendAsync(_changes[i].Frame);
                }
                if (cutAfterFrames is not null)
                {
                    // A connection meant to be cut is cut at the latest once it has sent everything.
                    connection.Abort();
                    return;
                }
            }
        }
        catch (Exception ex) when (ex is ClientClosedException or System.Net.WebSockets.WebSocketException or OperationCanceledException or ObjectDisposedException)
        {
            // The client went away (or was cut).
        }
    }

    private bool IsTransactionBoundary(int position) =>
        position == 0 || JsonNode.Parse(_changes[position - 1].Frame)!["tx_end"] is not null;

    private void Add(string frame, Func<Dictionary<long, object>, Dictionary<long, object>> apply) => _changes.Add((frame, apply));
}
