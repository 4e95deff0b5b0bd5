namespace Sluice.Server.Embedded;

internal static partial class EmbeddedPostgresLog
{
    [LoggerMessage(1, LogLevel.Information, "Using PostgreSQL binaries in {BinDirectory}")]
    public static partial void UsingBinaries(ILogger logger, string binDirectory);

    [LoggerMessage(2, LogLevel.Information, "Initializing a new PostgreSQL cluster in {DataDirectory}")]
    public static partial void InitializingCluster(ILogger logger, string dataDirectory);

    [LoggerMessage(3, LogLevel.Information, "Reusing the PostgreSQL cluster in {DataDirectory}")]
    public static partial void ReusingCluster(ILogger logger, string dataDirectory);

    [LoggerMessage(4, LogLevel.Information, "This process is root, so PostgreSQL runs as the system user {User}")]
    public static partial void RunningAsUnprivilegedUser(ILogger logger, string user);

    [LoggerMessage(5, LogLevel.Debug, "Starting PostgreSQL on 127.0.0.1:{Port}")]
    public static partial void Starting(ILogger logger, int port);

    [LoggerMessage(6, LogLevel.Warning, "Port {Port} was taken while PostgreSQL started; retrying on another port")]
    public static partial void PortTaken(ILogger logger, int port);

    [LoggerMessage(7, LogLevel.Information, "PostgreSQL is ready on 127.0.0.1:{Port} with data in {DataDirectory}")]
    public static partial void Ready(ILogger logger, int port, string dataDirectory);

    [LoggerMessage(8, LogLevel.Information, "Stopping PostgreSQL in {DataDirectory}")]
    public static partial void Stopping(ILogger logger, string dataDirectory);

    [LoggerMessage(9, LogLevel.Warning, "pg_ctl stop failed, killing postmaster {ProcessId}: {Output}")]
    public static partial void KillingPostmaster(ILogger logger, int processId, string output);

    [LoggerMessage(10, LogLevel.Warning, "Removing the stale postmaster.pid of process {ProcessId} in {DataDirectory}")]
    public static partial void RemovingStaleLockFile(ILogger logger, int processId, string dataDirectory);

    [LoggerMessage(11, LogLevel.Information, "Deleted the PostgreSQL data directory {DataDirectory}")]
    public static partial void DeletedDataDirectory(ILogger logger, string dataDirectory);

    [LoggerMessage(12, LogLevel.Warning, "Could not delete the PostgreSQL data directory {DataDirectory}")]
    public static partial void CouldNotDeleteDataDirectory(ILogger logger, string dataDirectory, Exception exception);

    [LoggerMessage(13, LogLevel.Warning, "PostgreSQL did not stop cleanly in {DataDirectory}: {Output}")]
    public static partial void StopFailed(ILogger logger, string dataDirectory, string output);

    [LoggerMessage(15, LogLevel.Warning, "PostgreSQL in {DataDirectory} stopped under this server; starting it again on port {Port}")]
    public static partial void Restarting(ILogger logger, string dataDirectory, int port);

    [LoggerMessage(14, LogLevel.Warning, "A PostgreSQL server (process {ProcessId}) left by an earlier run is still using {DataDirectory}; stopping it")]
    public static partial void StoppingLeftoverServer(ILogger logger, int processId, string dataDirectory);
}
