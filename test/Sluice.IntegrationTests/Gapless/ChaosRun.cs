namespace Sluice.IntegrationTests.Gapless;

/// <summary>
/// Drives one <see cref="ChaosSchedule"/>: writers change the table while replicas join (with a snapshot), get cut at
/// random moments (sometimes right inside their snapshot) and resume with <c>since</c>, and an optional disturbance
/// (killing the server) runs alongside. At the end a marker row is written, every replica catches up to it, and each
/// must equal the table, with no offset received twice and no version going backwards.
/// </summary>
public static class ChaosRun
{
    /// <summary>Writers stop after the scheduled commits or after this long, whichever comes first (bounds the run).</summary>
    public static readonly TimeSpan WriteBudget = TimeSpan.FromSeconds(20);

    private const long MarkerId = -1;

    public static async Task RunAsync(ChaosSchedule schedule, VersionedTable table, Func<Uri> url,
        Func<WriterPool, Task>? disturb = null)
    {
        var replicas = Enumerable.Range(0, schedule.Replicas)
            .Select(i => new ReplicaClient($"replica{i}", table.Channel, url))
            .ToList();
        try
        {
            await using (var writers = new WriterPool(table, ChaosSchedule.Writers, schedule.Seed, schedule.Preload))
            {
                using var stopChaos = new CancellationTokenSource();
                var chaos = replicas
                    .Select((replica, i) => Task.Run(() => CutAndResumeAsync(replica, writers, schedule.JoinAt(i), schedule.Seed * 7 + i, stopChaos.Token)))
                    .ToList();
                var disturbance = disturb is null ? Task.CompletedTask : Task.Run(() => disturb(writers));

                // Fail fast: a replica or the disturbance failing ends the run before the writers are done.
                var failure = FirstFailureAsync([.. chaos, disturbance]);
                using (var budget = new CancellationTokenSource(WriteBudget))
                {
                    var finished = await Task.WhenAny(writers.WaitForCommitsAsync(schedule.Commits, budget.Token), failure);
                    await finished;
                }
                await disturbance;
                await writers.StopAsync();
                await stopChaos.CancelAsync();
                await Task.WhenAll(chaos);
            }

            await table.InsertAsync(MarkerId);
            foreach (var replica in replicas)
                await replica.CatchUpAsync(MarkerId);
            foreach (var replica in replicas)
            {
                await table.AssertReplicaMatchesAsync(replica, schedule.ToString());
                Assert.True(replica.Resyncs == 0, $"{replica.Name} was asked to resync although nothing left retention ({replica.Describe()})");
                var last = replica.Applied[^1];
                Assert.True(last.Kind == "SNAPSHOT" || (last.Id == MarkerId && last.TxEnd),
                    $"{replica.Name}: the marker insert, a one-row transaction, should end with tx_end: {last}");
            }
        }
        finally
        {
            foreach (var replica in replicas)
                await replica.DisposeAsync();
        }
    }

    /// <summary>Completes (throwing) as soon as one of <paramref name="tasks"/> fails, or when all succeeded.</summary>
    private static async Task FirstFailureAsync(List<Task> tasks)
    {
        while (tasks.Count > 0)
        {
            var done = await Task.WhenAny(tasks);
            await done;
            tasks.Remove(done);
        }
    }

    private static async Task CutAndResumeAsync(ReplicaClient replica, WriterPool writers, int joinAt, int seed, CancellationToken stop)
    {
        var random = new Random(seed);
        await writers.WaitForCommitsAsync(joinAt, stop);
        await replica.ConnectAsync(snapshot: true);
        if (random.Next(3) == 0)
        {
            // Cut while the snapshot is (probably) still streaming: the replica must start over with a new snapshot.
            replica.Cut();
            await replica.ReconnectAsync();
        }
        while (!stop.IsCancellationRequested)
        {
            await writers.WaitForCommitsAsync(writers.Commits + random.Next(20, 300), stop);
            if (stop.IsCancellationRequested)
                break;
            replica.Cut();
            // Sometimes reconnect at once, sometimes only after the writers moved on.
            if (random.Next(3) != 0)
                await writers.WaitForCommitsAsync(writers.Commits + random.Next(1, 200), stop);
            await replica.ReconnectAsync();
        }
    }
}
