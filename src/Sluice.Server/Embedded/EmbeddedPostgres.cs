using System.Globalization;
using Npgsql;

namespace Sluice.Server.Embedded;

/// <summary>
/// A private PostgreSQL cluster run from the machine's binaries: the server's zero-setup default, and the
/// throwaway database of integration tests and benchmarks. Listens on loopback only, with logical decoding on.
/// The data directory belongs to this object while it lives (<see cref="DataDirectoryLock"/>): a second one on the
/// same directory is refused and never touches the running server.
/// </summary>
internal sealed class EmbeddedPostgres : IAsyncDisposable
{
    private const int StartAttempts = 3;
    private const string StartTimeoutSeconds = "120";
    private const int LogTailLines = 40;
    private static readonly TimeSpan KilledPostmasterExitWait = TimeSpan.FromSeconds(30);

    private readonly EmbeddedPostgresOptions _options;
    private readonly string _binDirectory;
    private readonly ClusterAccount _account;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _stopGate = new(1, 1);
    private DataDirectoryLock? _lock;
    private bool _stopped;

    private EmbeddedPostgres(
        EmbeddedPostgresOptions options, string binDirectory, ClusterAccount account, ILogger logger,
        string dataDirectory, int port, string password)
    {
        _options = options;
        Uri = Database.PostgresConnectionString.ToUri("127.0.0.1", port, ClusterDirectory.Superuser, password, "postgres");
        _binDirectory = binDirectory;
        _account = account;
        _logger = logger;
        DataDirectory = dataDirectory;
        Port = port;
        ConnectionString = new NpgsqlConnectionStringBuilder
        {
            Host = "127.0.0.1",
            Port = port,
            Username = ClusterDirectory.Superuser,
            Password = password,
            Database = "postgres",
        }.ConnectionString;
    }

    /// <summary>The superuser on 127.0.0.1:<see cref="Port"/>, database <c>postgres</c>, with its password.</summary>
    public string ConnectionString { get; }

    /// <summary>The same as a libpq URI (<c>postgresql://postgres:…@127.0.0.1:port/postgres</c>), for psql and any driver.</summary>
    public string Uri { get; }

    public int Port { get; }

    /// <summary>The absolute path of the cluster's data directory.</summary>
    public string DataDirectory { get; }

    /// <summary>The server's log file, whose tail is quoted when the server fails.</summary>
    public string LogFile => ClusterDirectory.LogFile(DataDirectory);

    /// <summary>The folder holding initdb, pg_ctl and postgres on this machine, or null when there is none.</summary>
    public static string? FindBinDirectory() => PostgresBinaries.Find();

    /// <summary>
    /// The data directory of the server's zero-setup cluster: <c>/var/lib/sluice/postgres</c> for root
    /// (a place the unprivileged server account can reach), else <c>$XDG_DATA_HOME/sluice/postgres</c>
    /// or <c>~/.local/share/sluice/postgres</c>.
    /// </summary>
    public static string DefaultDataDirectory()
    {
        if (ClusterAccount.IsRoot && OperatingSystem.IsLinux())
        {
            return "/var/lib/sluice/postgres";
        }

        var dataHome = Environment.GetEnvironmentVariable("XDG_DATA_HOME");
        if (string.IsNullOrEmpty(dataHome))
        {
            dataHome = Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData);
        }

        if (string.IsNullOrEmpty(dataHome))
        {
            dataHome = Path.GetTempPath();
        }

        return Path.Combine(dataHome, "sluice", "postgres");
    }

    /// <summary>Initializes the cluster when needed, starts it, and checks a real connection.</summary>
    /// <exception cref="PostgresBinariesNotFoundException">No server binaries were found.</exception>
    /// <exception cref="EmbeddedPostgresException">The cluster could not be prepared, started or verified.</exception>
    public static async Task<EmbeddedPostgres> StartAsync(
        EmbeddedPostgresOptions options, ILogger logger, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(logger);

        var binDirectory = options.BinDirectory ?? FindBinDirectory() ?? throw new PostgresBinariesNotFoundException();
        if (!PostgresBinaries.HasServerBinaries(binDirectory))
        {
            throw PostgresBinariesNotFoundException.ForDirectory(binDirectory);
        }

        EmbeddedPostgresLog.UsingBinaries(logger, binDirectory);
        var dataDirectory = Path.TrimEndingDirectorySeparator(Path.GetFullPath(options.DataDirectory));
        var account = await ClusterAccount.ForCurrentProcessAsync(cancellationToken).ConfigureAwait(false);
        if (account.RunAsUser is { } user)
        {
            EmbeddedPostgresLog.RunningAsUnprivilegedUser(logger, user);
        }

        var dataLock = DataDirectoryLock.Acquire(dataDirectory);
        var createdDataDirectory = !Directory.Exists(dataDirectory);
        try
        {
            var server = await StartClusterAsync(options, binDirectory, account, dataDirectory, logger, cancellationToken)
                .ConfigureAwait(false);
            server._lock = dataLock;
            return server;
        }
        catch
        {
            if (createdDataDirectory && options.DeleteDataOnDispose)
            {
                TryDeleteDataDirectory(dataDirectory, logger);
            }

            dataLock.Release(deleteFile: options.DeleteDataOnDispose);
            throw;
        }
    }

    /// <summary>Whether this cluster's postmaster runs (false once stopped, or when it died or was stopped by someone else).</summary>
    public bool IsRunning =>
        !_stopped && StaleLockFile.ReadPostmasterId(DataDirectory) is { } processId && ProcessProbe.IsAlive(processId);

    /// <summary>
    /// Starts the server again, on the same port, when its postmaster is gone (killed, or stopped under this process);
    /// returns whether it did. Does nothing once <see cref="StopAsync"/> ran.
    /// </summary>
    /// <exception cref="EmbeddedPostgresException">The server could not be started again.</exception>
    public async Task<bool> RestartIfStoppedAsync(CancellationToken cancellationToken)
    {
        await _stopGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_stopped || IsRunning)
            {
                return false;
            }

            EmbeddedPostgresLog.Restarting(_logger, DataDirectory, Port);
            await StaleLockFile.RemoveIfStaleAsync(DataDirectory, _logger, cancellationToken).ConfigureAwait(false);
            await StartServerAsync(_options, _binDirectory, _account, DataDirectory, _logger, cancellationToken, fixedPort: Port)
                .ConfigureAwait(false);
            await VerifyAsync(cancellationToken).ConfigureAwait(false);
            EmbeddedPostgresLog.Ready(_logger, Port, DataDirectory);
            return true;
        }
        finally
        {
            _stopGate.Release();
        }
    }

    /// <summary>Stops the server (<c>pg_ctl stop -m fast</c>), killing it if that fails. Safe to call twice.</summary>
    public async Task StopAsync()
    {
        await _stopGate.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_stopped)
            {
                return;
            }

            EmbeddedPostgresLog.Stopping(_logger, DataDirectory);
            var postmaster = StaleLockFile.ReadPostmasterId(DataDirectory);
            var result = await _account.RunAsync(
                PostgresBinaries.Tool(_binDirectory, "pg_ctl"),
                ["stop", "-D", DataDirectory, "-m", "fast", "-w", "-t", StartTimeoutSeconds],
                CancellationToken.None).ConfigureAwait(false);
            if (!result.Succeeded)
            {
                await KillPostmasterAsync(result.Output).ConfigureAwait(false);
            }

            // pg_ctl returns once postmaster.pid is gone, a moment before the postmaster itself exits: wait for that too,
            // so a caller that starts the cluster again (or checks for leftovers) never meets the old process.
            if (postmaster is { } processId)
            {
                var deadline = DateTime.UtcNow.AddSeconds(10);
                while (ProcessProbe.IsAlive(processId) && DateTime.UtcNow < deadline)
                    await Task.Delay(20).ConfigureAwait(false);
            }

            _stopped = true;
        }
        finally
        {
            _stopGate.Release();
        }
    }

    /// <summary>Stops the server, then deletes the data directory when <see cref="EmbeddedPostgresOptions.DeleteDataOnDispose"/> is set.</summary>
    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        if (_options.DeleteDataOnDispose)
        {
            TryDeleteDataDirectory(DataDirectory, _logger);
        }

        _lock?.Release(deleteFile: _options.DeleteDataOnDispose);
        _lock = null;
    }

    private static void TryDeleteDataDirectory(string dataDirectory, ILogger logger)
    {
        if (!Directory.Exists(dataDirectory))
        {
            return;
        }

        try
        {
            Directory.Delete(dataDirectory, recursive: true);
            EmbeddedPostgresLog.DeletedDataDirectory(logger, dataDirectory);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            EmbeddedPostgresLog.CouldNotDeleteDataDirectory(logger, dataDirectory, exception);
        }
    }

    private static async Task<EmbeddedPostgres> StartClusterAsync(
        EmbeddedPostgresOptions options, string binDirectory, ClusterAccount account, string dataDirectory,
        ILogger logger, CancellationToken cancellationToken)
    {
        await ClusterDirectory.PrepareAsync(dataDirectory, account, cancellationToken).ConfigureAwait(false);
        string password;
        if (ClusterDirectory.IsInitialized(dataDirectory))
        {
            EmbeddedPostgresLog.ReusingCluster(logger, dataDirectory);
            password = ClusterDirectory.ReadPassword(dataDirectory);
        }
        else
        {
            EmbeddedPostgresLog.InitializingCluster(logger, dataDirectory);
            password = await ClusterDirectory.InitializeAsync(dataDirectory, binDirectory, account, cancellationToken)
                .ConfigureAwait(false);
        }

        await ClusterDirectory.EnsureLogFolderAsync(dataDirectory, account, cancellationToken).ConfigureAwait(false);
        await StopLeftoverServerAsync(binDirectory, account, dataDirectory, logger, cancellationToken).ConfigureAwait(false);
        await StaleLockFile.RemoveIfStaleAsync(dataDirectory, logger, cancellationToken).ConfigureAwait(false);

        var port = await StartServerAsync(options, binDirectory, account, dataDirectory, logger, cancellationToken)
            .ConfigureAwait(false);
        var server = new EmbeddedPostgres(options, binDirectory, account, logger, dataDirectory, port, password);
        try
        {
            await server.VerifyAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await server.StopAsync().ConfigureAwait(false);
            throw;
        }

        EmbeddedPostgresLog.Ready(logger, port, dataDirectory);
        return server;
    }

    /// <summary>
    /// The data directory belongs to this launcher (it holds the <see cref="DataDirectoryLock"/>, so no live launcher
    /// runs this server): a server still running in it was left by a run that was killed before it could stop it,
    /// and is stopped so this run can start it with its own settings.
    /// </summary>
    private static async Task StopLeftoverServerAsync(
        string binDirectory, ClusterAccount account, string dataDirectory, ILogger logger, CancellationToken cancellationToken)
    {
        if (StaleLockFile.ReadPostmasterId(dataDirectory) is not { } processId
            || !ProcessProbe.IsAlive(processId)
            || ProcessProbe.Name(processId) is not ("postgres" or "postmaster"))
        {
            return;
        }
        EmbeddedPostgresLog.StoppingLeftoverServer(logger, processId, dataDirectory);
        await account.RunAsync(
            PostgresBinaries.Tool(binDirectory, "pg_ctl"),
            ["stop", "-D", dataDirectory, "-m", "fast", "-w", "-t", StartTimeoutSeconds],
            cancellationToken).ConfigureAwait(false);
    }

    private static async Task<int> StartServerAsync(
        EmbeddedPostgresOptions options, string binDirectory, ClusterAccount account, string dataDirectory,
        ILogger logger, CancellationToken cancellationToken, int fixedPort = 0)
    {
        var logFile = ClusterDirectory.LogFile(dataDirectory);
        var requestedPort = fixedPort != 0 ? fixedPort : options.Port;
        for (var attempt = 1; ; attempt++)
        {
            var port = requestedPort != 0 ? requestedPort : LoopbackPort.FindFree();
            EmbeddedPostgresLog.Starting(logger, port);
            var logStart = File.Exists(logFile) ? new FileInfo(logFile).Length : 0;
            var settings = ServerSettings.For(dataDirectory, port, options.Durable, options.SettingOverrides);
            var result = await account.RunAsync(
                PostgresBinaries.Tool(binDirectory, "pg_ctl"),
                ["start", "-D", dataDirectory, "-l", logFile, "-w", "-t", StartTimeoutSeconds,
                    "-o", ServerSettings.ToPostmasterOptions(settings)],
                cancellationToken).ConfigureAwait(false);
            if (result.Succeeded)
            {
                return port;
            }

            var log = ReadLogTail(logFile, logStart);
            if (requestedPort == 0 && attempt < StartAttempts && IsPortClash(log))
            {
                EmbeddedPostgresLog.PortTaken(logger, port);
                continue;
            }

            throw new EmbeddedPostgresException(
                $"PostgreSQL failed to start in '{dataDirectory}' on port {port} (pg_ctl exit code {result.ExitCode}): "
                + $"{result.Output}{Environment.NewLine}Tail of {logFile}:{Environment.NewLine}{log}");
        }
    }

    private static bool IsPortClash(string log) =>
        log.Contains("could not bind", StringComparison.OrdinalIgnoreCase)
        || log.Contains("Address already in use", StringComparison.OrdinalIgnoreCase);

    /// <summary>The last lines the server logged since <paramref name="offset"/> (or of the whole log when nothing new).</summary>
    private static string ReadLogTail(string logFile, long offset)
    {
        try
        {
            using var stream = new FileStream(logFile, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            if (offset >= stream.Length)
            {
                offset = 0;
            }

            stream.Seek(offset, SeekOrigin.Begin);
            using var reader = new StreamReader(stream);
            var lines = reader.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries);
            return string.Join(Environment.NewLine, lines[Math.Max(0, lines.Length - LogTailLines)..]);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return $"(no server log: {exception.Message})";
        }
    }

    private async Task VerifyAsync(CancellationToken cancellationToken)
    {
        var connectionString = new NpgsqlConnectionStringBuilder(ConnectionString) { Pooling = false }.ConnectionString;
        try
        {
            await using var connection = new NpgsqlConnection(connectionString);
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            await using var command = new NpgsqlCommand("SHOW wal_level", connection);
            var walLevel = (string?)await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
            var expected = _options.SettingOverrides.GetValueOrDefault("wal_level", "logical");
            if (walLevel != expected)
            {
                throw new EmbeddedPostgresException(
                    $"PostgreSQL in '{DataDirectory}' started with wal_level={walLevel}, not {expected}; check its postgresql.auto.conf.");
            }
        }
        catch (Exception exception) when (exception is NpgsqlException or TimeoutException)
        {
            throw new EmbeddedPostgresException(
                $"PostgreSQL started in '{DataDirectory}' but refused a connection on port {Port}: {exception.Message}"
                + $"{Environment.NewLine}Tail of {LogFile}:{Environment.NewLine}{ReadLogTail(LogFile, 0)}",
                exception);
        }
    }

    private async Task KillPostmasterAsync(string stopOutput)
    {
        if (StaleLockFile.ReadPostmasterId(DataDirectory) is not { } processId || !ProcessProbe.IsAlive(processId))
        {
            return; // Not running: stopping twice, or the server already died.
        }

        EmbeddedPostgresLog.KillingPostmaster(_logger, processId, stopOutput);
        var kill = await ToolRunner.RunAsync("kill", ["-KILL", processId.ToString(CultureInfo.InvariantCulture)], CancellationToken.None)
            .ConfigureAwait(false);
        var deadline = DateTime.UtcNow + KilledPostmasterExitWait;
        while (ProcessProbe.IsAlive(processId) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100).ConfigureAwait(false);
        }

        if (!kill.Succeeded || ProcessProbe.IsAlive(processId))
        {
            EmbeddedPostgresLog.StopFailed(_logger, DataDirectory, kill.Output);
        }
    }
}
