using Microsoft.Extensions.Options;
using Npgsql;
using Sluice.Server.Hosting;

namespace Sluice.Server.Capture;

/// <summary>
/// Writes a small transactional logical message periodically (and on demand). It travels through the slot
/// like any transaction, so the slot advances, retention ages out and snapshots can wait for the stream
/// to pass a point, even when the published tables are quiet.
/// </summary>
internal sealed partial class WalHeartbeat(NpgsqlDataSource dataSource, IOptions<SluiceOptions> options, ILogger<WalHeartbeat> logger) : BackgroundService
{
    public const string Prefix = "sluice.heartbeat";

    /// <summary>Writes a heartbeat now; returns its LSN.</summary>
    public async Task<ulong> EmitAsync(CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("SELECT pg_logical_emit_message(true, $1, '')::text");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = Prefix });
        var lsn = (string)(await command.ExecuteScalarAsync(cancellationToken))!;
        return (ulong)NpgsqlTypes.NpgsqlLogSequenceNumber.Parse(lsn);
    }

    /// <summary>The database's WAL position now (its replay position on a standby): every offset ever issued lies at or before it.</summary>
    public async Task<ulong> CurrentLsnAsync(CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "SELECT CASE WHEN pg_catalog.pg_is_in_recovery() THEN pg_catalog.pg_last_wal_replay_lsn() ELSE pg_catalog.pg_current_wal_insert_lsn() END");
        return (ulong)(NpgsqlTypes.NpgsqlLogSequenceNumber)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.WalHeartbeatInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    await EmitAsync(stoppingToken);
                }
                catch (NpgsqlException ex)
                {
                    LogHeartbeatFailed(ex);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not write the WAL heartbeat")]
    private partial void LogHeartbeatFailed(Exception exception);
}
