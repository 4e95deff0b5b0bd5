using Npgsql;
using Sluice.Server.Capture;

namespace Sluice.Server.Database;

/// <summary>
/// Watches the database through one connection of its own, every two seconds. While the database cannot be reached,
/// or is shutting down, <see cref="Failure"/> says why (for <c>/health</c> and <c>/health/ready</c>). When PostgreSQL
/// is shutting down, capture's replication stream is dropped (<see cref="LogicalCapture.DropStream"/>): a fast shutdown
/// waits for every walsender to be confirmed to the end of WAL, so a stream kept open would hold it forever; capture
/// reconnects when the database is back.
/// </summary>
internal sealed partial class DatabaseMonitor(DatabaseConnection database, LogicalCapture capture, TimeProvider time, ILogger<DatabaseMonitor> logger)
    : BackgroundService
{
    private static readonly TimeSpan ProbeInterval = TimeSpan.FromSeconds(2);
    private const int ProbeTimeoutSeconds = 10;

    private NpgsqlConnection? _connection;

    /// <summary>Why the database is not usable, in one line without secrets; null while it answers.</summary>
    public string? Failure { get; private set; }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var connectionString = new NpgsqlConnectionStringBuilder(database.ConnectionString)
        {
            Pooling = false,
            Timeout = ProbeTimeoutSeconds,
            CommandTimeout = ProbeTimeoutSeconds,
            ApplicationName = "sluice health",
        }.ConnectionString;
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                await ProbeAsync(connectionString, stoppingToken);
                await Task.Delay(ProbeInterval, time, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            if (_connection is not null)
                await _connection.DisposeAsync();
        }
    }

    /// <summary>One query; a connection that broke is replaced once at once, so one terminated backend is not a lost database.</summary>
    private async Task ProbeAsync(string connectionString, CancellationToken cancellationToken)
    {
        Exception? failure = null;
        for (var attempt = 0; attempt < 2; attempt++)
        {
            try
            {
                if (_connection is null)
                {
                    _connection = new NpgsqlConnection(connectionString);
                    await _connection.OpenAsync(cancellationToken);
                }
                await using var command = new NpgsqlCommand("SELECT 1", _connection);
                await command.ExecuteScalarAsync(cancellationToken);
                if (Failure is not null)
                    LogDatabaseBack();
                Failure = null;
                return;
            }
            catch (Exception ex) when (ex is NpgsqlException or TimeoutException or InvalidOperationException)
            {
                failure = ex;
                if (_connection is not null)
                {
                    await _connection.DisposeAsync();
                    _connection = null;
                }
            }
        }

        var reason = "the database is unreachable: " + DatabaseErrors.OneLine(failure!);
        if (Failure is null)
            LogDatabaseLost(reason);
        Failure = reason;
        // New connections are refused with 57P03 while PostgreSQL shuts down (or starts up, when capture is not streaming anyway).
        if (failure is PostgresException { SqlState: PostgresErrorCodes.CannotConnectNow })
            capture.DropStream("the database is shutting down");
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Lost the database: {Failure}")]
    private partial void LogDatabaseLost(string failure);

    [LoggerMessage(Level = LogLevel.Information, Message = "The database answers again")]
    private partial void LogDatabaseBack();
}
