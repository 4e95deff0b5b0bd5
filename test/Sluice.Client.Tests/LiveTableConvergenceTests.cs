using CsCheck;
using Sluice.Client.Tests.Fakes;

namespace Sluice.Client.Tests;

/// <summary>
/// Whatever the transactions, the snapshot point and where connections are cut, a live table ends equal to the log's
/// final rows, and every <c>Changed</c> step is exactly one whole transaction. The scripted server honours
/// <c>since</c> and <c>snapshot</c> like the real one.
/// </summary>
public sealed class LiveTableConvergenceTests
{
    private sealed record Op(int Kind, int Id);

    private sealed record Script(Op[][] Transactions, int[] Cuts, int SnapshotSeed)
    {
        public override string ToString() =>
            $"{Transactions.Length} transactions [{string.Join(" | ", Transactions.Select(t => string.Join(",", t.Select(o => $"{"IUDT"[o.Kind]}{o.Id}"))))}], cuts [{string.Join(",", Cuts)}], snapshot seed {SnapshotSeed}";
    }

    private static readonly Gen<Script> Scripts = Gen.Select(
        Gen.Select(Gen.Int[0, 20], Gen.Int[1, 6]).Select((kind, id) => new Op(kind < 9 ? 0 : kind < 15 ? 1 : kind < 20 ? 2 : 3, id)).Array[1, 4].Array[1, 30],
        Gen.Int[0, 12].Array[0, 4],
        Gen.Int,
        (transactions, cuts, seed) => new Script(transactions, cuts, seed));

    [Fact]
    public async Task A_live_table_converges_to_the_log_under_cuts_and_resumes() =>
        await Scripts.SampleAsync(RunAsync, iter: 30, threads: 1, print: script => script.ToString());

    private static async Task RunAsync(Script script)
    {
        var log = new ScriptedLog(Frames.Products);
        var model = new Dictionary<long, LiveTableTests.Item>();
        foreach (var transaction in script.Transactions)
        {
            var ops = transaction.ToList();
            for (var i = 0; i < ops.Count; i++)
                Append(log, model, ops[i], txEnd: i == ops.Count - 1);
        }
        if (log.Count == 0)
            return;

        await using var server = await FakeServer.StartAsync();
        await using var client = TestClients.Create(server);
        var table = client.LiveTable<long, LiveTableTests.Item>("public", "products", item => item.Id);
        var steps = new Recorder<LiveTableChangedEventArgs<long, LiveTableTests.Item>>();
        table.Changed += (_, e) => steps.Add(e);
        await client.StartAsync();

        var random = new Random(script.SnapshotSeed);
        foreach (var cut in script.Cuts)
            await log.ServeAsync(await server.NextConnectionAsync(), boundaries => random.Next(boundaries), cut);
        var last = log.ServeAsync(await server.NextConnectionAsync(), boundaries => random.Next(boundaries));

        await TestClients.EventuallyAsync(() => table.Offset == Frames.Offset(log.Count), $"caught up with the log ({script})");
        Assert.Equal(model, table.Rows);
        foreach (var step in steps.Items.Where(s => s.Reason == LiveTableChangeReason.Transaction))
        {
            Assert.True(step.Changes[^1].IsTransactionEnd);
            Assert.All(step.Changes.SkipLast(1), change => Assert.False(change.IsTransactionEnd));
        }
        var offsets = steps.Items.SelectMany(s => s.Changes).Select(c => c.Offset).ToList();
        Assert.Equal(offsets.Order(StringComparer.Ordinal), offsets);
        Assert.Equal(offsets.Distinct().Count(), offsets.Count);
        GC.KeepAlive(last);
    }

    private static void Append(ScriptedLog log, Dictionary<long, LiveTableTests.Item> model, Op op, bool txEnd)
    {
        var held = model.GetValueOrDefault(op.Id);
        switch (op.Kind)
        {
            case 3:
                log.Truncate();
                model.Clear();
                // Its frame ends the transaction (tx_end), as if the TRUNCATE committed the changes before it.
                return;
            case 0 when held is null:
            case 1 when held is null:
            case 2 when held is null:
                var inserted = new LiveTableTests.Item(op.Id, 0);
                log.Insert(op.Id, new { id = op.Id, version = 0 }, txEnd);
                model[op.Id] = inserted;
                return;
            case 2:
                log.Delete(op.Id, new { id = op.Id, version = held.Version }, txEnd);
                model.Remove(op.Id);
                return;
            default:
                var updated = held! with { Version = held.Version + 1 };
                log.Update(op.Id, new { id = op.Id, version = updated.Version }, new { id = op.Id, version = held.Version }, txEnd);
                model[op.Id] = updated;
                return;
        }
    }
}
