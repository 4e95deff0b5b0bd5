using System.Diagnostics;
using Npgsql;
using Sluice.Bench.Baselines;
using Sluice.Bench.Clients;
using Sluice.Bench.Harness;
using Sluice.Bench.Results;

namespace Sluice.Bench.Scenarios;

/// <summary>
/// What Sluice costs the database's writers: 16 clients insert single-row transactions into one table as fast as they
/// commit, for a fixed time, with (a) no replication slot and nothing listening — the baseline, measured before and after
/// the other cases and averaged, so a drift of the machine shows as their difference — (b) a row trigger calling
/// <c>pg_notify</c> with the row as JSON and one connection listening (the classic trigger relay, for reference), and
/// (c) Sluice attached: the table in its publication, its slot streaming, one subscriber receiving every change. Reported:
/// committed transactions/s. In (c) every change must reach the subscriber (checked after the writes; the time it took
/// to catch up is in the details), and in (b) every notification must reach the listener.
/// </summary>
public sealed class WriteCostScenario : IScenario
{
    private const string Table = "bench_write_cost";
    private const int Writers = 16;

    public string Name => "write-cost";

    public string Baseline => "the same writes with no replication slot";

    public async Task<IReadOnlyList<CaseResult>> RunAsync(ScenarioContext context)
    {
        var db = context.Database;
        var duration = context.Quick ? TimeSpan.FromSeconds(2) : TimeSpan.FromSeconds(10);
        context.Details["writers"] = Writers;
        context.Details["seconds_per_case"] = duration.TotalSeconds;
        await BenchTables.CreateAsync(db, Table);

        // Warm-up: connections, plans and the table's first pages, not recorded.
        await WriteAsync(db, context.Quick ? TimeSpan.FromSeconds(0.5) : TimeSpan.FromSeconds(2));

        var bareBefore = await WriteAsync(db, duration);
        Record(context, "no_slot_before", bareBefore, duration);

        var notify = await MeasureNotifyAsync(context, duration);

        double sluiceRate;
        await using (var server = await SluiceServer.StartAsync(db, Table))
        {
            await BenchTables.EnableAsync(db, Table);
            var counter = DeliveryCounter.For(long.MaxValue);
            await using var subscriber = await SluiceSubscriber.ConnectAsync(server.WebSocketUri("/realtime"), counter);
            await subscriber.SubscribeAsync(SluiceFrames.Subscribe(BenchTables.Channel(Table)));
            // The server has just started: warm it up as the writers were (not recorded, every change delivered), so the
            // measured case is not the runtime compiling the capture and delivery paths.
            var warmUp = await WriteAsync(db, context.Quick ? TimeSpan.FromSeconds(0.5) : TimeSpan.FromSeconds(3));
            counter.SetTarget(warmUp);
            if (!(await context.WaitAsync("sluice warm-up", counter, warmUp, Stopwatch.GetTimestamp())).Complete)
                throw new InvalidOperationException("the subscriber did not receive the warm-up's changes");
            counter.Reset(long.MaxValue);
            var attached = await WriteAsync(db, duration);
            sluiceRate = Record(context, "sluice", attached, duration);
            var writesEnded = Stopwatch.GetTimestamp();
            counter.SetTarget(attached);
            var (delivered, _, complete) = await context.WaitAsync("sluice deliveries", counter, attached, writesEnded);
            context.Details["sluice_catch_up_seconds"] = Stopwatch.GetElapsedTime(writesEnded, complete ? counter.CompletedAt : Stopwatch.GetTimestamp()).TotalSeconds;
            if (!complete || delivered != attached)
                throw new InvalidOperationException($"the subscriber received {delivered:N0} of the {attached:N0} changes written");
        }
        // The stopped server's slot would keep WAL, not cost writes; dropped all the same, so the last case is as the first.
        await db.DropInactiveSlotsAsync();

        var bareAfter = await WriteAsync(db, duration);
        Record(context, "no_slot_after", bareAfter, duration);
        var bareRate = (bareBefore + bareAfter) / 2 / duration.TotalSeconds;
        context.Details["no_slot_tx_per_second"] = bareRate;
        context.Details["notify_ratio"] = notify / bareRate;

        return
        [
            new CaseResult($"{Writers} writers, single-row tx, Sluice attached", "tx/s", sluiceRate, bareRate, HigherIsBetter: true,
                Note: $"NOTIFY trigger: {notify / bareRate:0.00}×"),
        ];
    }

    /// <summary>The rate of a case (transactions/s), also kept in the details under <paramref name="key"/>.</summary>
    private static double Record(ScenarioContext context, string key, long transactions, TimeSpan duration)
    {
        var rate = transactions / duration.TotalSeconds;
        context.Details[$"{key}_tx_per_second"] = rate;
        ScenarioContext.Log($"{key}: {rate:N0} tx/s");
        return rate;
    }

    /// <summary>The trigger relay: a row trigger notifies with the row as JSON; one connection listens and counts.</summary>
    private static async Task<double> MeasureNotifyAsync(ScenarioContext context, TimeSpan duration)
    {
        var db = context.Database;
        await db.ExecuteAsync(NotifyTrigger.Create(Table));
        try
        {
            await using var listener = await db.DataSource.OpenConnectionAsync();
            long received = 0;
            listener.Notification += (_, _) => Interlocked.Increment(ref received);
            await using (var listen = new NpgsqlCommand($"LISTEN {NotifyRelay.ChannelName}", listener))
                await listen.ExecuteNonQueryAsync();
            using var stop = new CancellationTokenSource();
            var listening = Task.Run(async () =>
            {
                try
                {
                    while (true)
                        await listener.WaitAsync(stop.Token);
                }
                catch (OperationCanceledException) when (stop.IsCancellationRequested)
                {
                }
            });
            var written = await WriteAsync(db, duration);
            var rate = Record(context, "notify", written, duration);
            var deadline = Stopwatch.GetTimestamp();
            while (Interlocked.Read(ref received) < written && Stopwatch.GetElapsedTime(deadline) < context.Patience)
                await Task.Delay(50);
            await stop.CancelAsync();
            await listening;
            if (Interlocked.Read(ref received) != written)
                throw new InvalidOperationException($"the listener received {Interlocked.Read(ref received):N0} of the {written:N0} notifications");
            return rate;
        }
        finally
        {
            await db.ExecuteAsync(NotifyTrigger.Drop(Table));
        }
    }

    /// <summary><see cref="Writers"/> connections insert single-row transactions until <paramref name="duration"/> has passed; the number committed.</summary>
    private static async Task<long> WriteAsync(BenchDatabase db, TimeSpan duration)
    {
        using var stop = new CancellationTokenSource(duration);
        var sql = BenchTables.SingleRowInsert(Table);
        var counts = await Task.WhenAll(Enumerable.Range(0, Writers).Select(async writer =>
        {
            await using var insert = await PreparedInsert.OpenAsync(db, sql);
            long committed = 0;
            while (!stop.IsCancellationRequested)
            {
                await insert.ExecuteAsync(writer);
                committed++;
            }
            return committed;
        }));
        return counts.Sum();
    }
}
