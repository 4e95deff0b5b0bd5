using System.Diagnostics;
using Npgsql;
using Sluice.Bench.Harness;
using Sluice.Server.Embedded;

namespace Sluice.Bench.Baselines;

/// <summary>
/// The capture baseline: PostgreSQL's own <c>pg_recvlogical</c> decoding the same WAL with pgoutput from its
/// own slot to /dev/null, up to a given LSN. Measures PostgreSQL's decoding and sending with no consumer work.
/// </summary>
public static class PgRecvLogical
{
    /// <summary>Creates the baseline's slot before the workload, so that it decodes exactly that WAL.</summary>
    public static Task CreateSlotAsync(BenchDatabase database, string slot) =>
        database.ExecuteAsync("SELECT pg_create_logical_replication_slot($1, 'pgoutput')", slot);

    /// <summary>Runs pg_recvlogical until <paramref name="endLsn"/> and returns its wall time in seconds.</summary>
    public static async Task<double> RunAsync(BenchDatabase database, string slot, string publication, string endLsn, TimeSpan timeout)
    {
        var bin = EmbeddedPostgres.FindBinDirectory() ?? throw new InvalidOperationException("no PostgreSQL binaries");
        var cs = new NpgsqlConnectionStringBuilder(database.ConnectionString);
        var info = new ProcessStartInfo(Path.Combine(bin, "pg_recvlogical"))
        {
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[]
        {
            "-d", $"host={cs.Host} port={cs.Port} user={cs.Username} dbname={cs.Database}",
            "--slot", slot, "--start", "--endpos", endLsn, "--no-loop", "-f", "/dev/null",
            "-o", "proto_version=1", "-o", $"publication_names={publication}",
        })
        {
            info.ArgumentList.Add(argument);
        }

        info.Environment["PGPASSWORD"] = cs.Password;
        var clock = Stopwatch.StartNew();
        using var process = Process.Start(info) ?? throw new InvalidOperationException("could not start pg_recvlogical");
        var errors = process.StandardError.ReadToEndAsync();
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill();
            throw new TimeoutException($"pg_recvlogical did not reach {endLsn} within {timeout.TotalSeconds} s");
        }

        var seconds = clock.Elapsed.TotalSeconds;
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"pg_recvlogical failed ({process.ExitCode}): {await errors}");
        return seconds;
    }
}
