using Npgsql;

namespace Sluice.Server.Capture;

/// <summary>
/// Tells capture that PostgreSQL is shutting down, so it lets go of its replication connection at once instead of
/// holding the shutdown up. On shutdown a walsender waits until its client has confirmed all the WAL it sent, and Sluice
/// confirms only what has left its retention window (the WAL is the window's durable copy), so a walsender serving Sluice
/// would wait until <c>wal_sender_timeout</c> or longer while PostgreSQL refuses every other connection. Letting go loses
/// nothing: capture reconnects once the database is back and resumes from the slot.
/// </summary>
/// <remarks>
/// The watch holds one idle ordinary connection and waits on it. A fast or immediate shutdown ends ordinary backends
/// first, each with <c>57P01</c> (admin_shutdown) or <c>57P02</c> (crash_shutdown), before it waits for walsenders; a smart
/// shutdown refuses new connections with <c>57P03</c> (cannot_connect_now), which the watch meets when it reconnects,
/// every <see cref="ReconnectEvery"/>, so it never holds a smart shutdown up for long either. Other failures (a network
/// cut, a refused login) only make the watch try again: the replication connection notices those by itself.
/// </remarks>
internal static class ShutdownWatch
{
    private static readonly TimeSpan ReconnectEvery = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(1);

    /// <summary>Completes with the server's message once PostgreSQL says it is shutting down; cancelled with <paramref name="cancellationToken"/>.</summary>
    public static async Task<string> WaitForShutdownAsync(string connectionString, CancellationToken cancellationToken)
    {
        var watchConnectionString = new NpgsqlConnectionStringBuilder(connectionString)
        {
            Pooling = false,
            ApplicationName = "sluice shutdown watch",
        }.ConnectionString;
        while (true)
        {
            try
            {
                await using var connection = new NpgsqlConnection(watchConnectionString);
                await connection.OpenAsync(cancellationToken);
                // Nothing is LISTENed to: the wait ends only by the timeout, a cancellation or the connection ending.
                while (await connection.WaitAsync(ReconnectEvery, cancellationToken))
                {
                }
                continue;
            }
            catch (PostgresException ex) when (IsShutdown(ex.SqlState))
            {
                return ex.MessageText;
            }
            catch (Exception ex) when (ex is NpgsqlException or IOException or TimeoutException && !cancellationToken.IsCancellationRequested)
            {
                // Not a shutdown we can tell: the replication connection notices a dead database by itself.
            }
            await Task.Delay(RetryDelay, cancellationToken);
        }
    }

    private static bool IsShutdown(string sqlState) =>
        sqlState is PostgresErrorCodes.AdminShutdown or PostgresErrorCodes.CrashShutdown or PostgresErrorCodes.CannotConnectNow;
}
