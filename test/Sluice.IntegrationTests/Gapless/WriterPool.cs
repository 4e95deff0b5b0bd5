namespace Sluice.IntegrationTests.Gapless;

/// <summary>Several <see cref="TableWriter"/>s running concurrently until stopped.</summary>
public sealed class WriterPool : IAsyncDisposable
{
    private readonly TableWriter[] _writers;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task[] _running;

    public WriterPool(VersionedTable table, int writers, int seed, int preloaded = 0)
    {
        _writers = Enumerable.Range(0, writers).Select(i => new TableWriter(table, i, writers, seed * 31 + i, preloaded)).ToArray();
        _running = _writers.Select(writer => Task.Run(() => writer.RunAsync(_stop.Token))).ToArray();
    }

    /// <summary>Committed transactions over all writers.</summary>
    public int Commits => _writers.Sum(writer => writer.Commits);

    public int Rollbacks => _writers.Sum(writer => writer.Rollbacks);

    /// <summary>Waits until the writers committed <paramref name="commits"/> transactions in total, or were stopped, or
    /// <paramref name="cancel"/> fired; throws if a writer failed. A hang guard bounds it.</summary>
    public async Task WaitForCommitsAsync(int commits, CancellationToken cancel = default)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(120);
        while (Commits < commits && !cancel.IsCancellationRequested && !_stop.IsCancellationRequested)
        {
            if (_running.FirstOrDefault(task => task.IsCompleted) is { } ended)
            {
                await ended; // surfaces a writer's failure
                throw new InvalidOperationException("a writer stopped before it was asked to");
            }
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"the writers committed only {Commits} of {commits} transactions within 120 s");
            await Task.Delay(10, CancellationToken.None);
        }
    }

    /// <summary>Stops the writers after their current transaction and rethrows a writer's failure.</summary>
    public async Task StopAsync()
    {
        await _stop.CancelAsync();
        await Task.WhenAll(_running);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try
        {
            await Task.WhenAll(_running);
        }
        catch (Exception ex) when (ex is Npgsql.NpgsqlException or InvalidOperationException)
        {
            // Reported by StopAsync when the test got that far.
        }
        _stop.Dispose();
    }
}
