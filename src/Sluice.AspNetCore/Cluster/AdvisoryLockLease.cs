using System.Text;
using Microsoft.Extensions.Options;
using Npgsql;
using Sluice.Server.Capture;
using Sluice.Server.Database;
using Sluice.Server.Hosting;

namespace Sluice.Server.Cluster;

/// <summary>
/// Capture leadership in a cluster: the node holding a session-level PostgreSQL advisory lock (keyed by the slot name) on
/// a dedicated, unpooled connection is the leader. The lock lives exactly as long as that connection: a leader that
/// crashes or is killed loses it as soon as PostgreSQL sees the socket close. The leader checks its connection every
/// <see cref="ClusterOptions.LeaderPollInterval"/> and gives up capture when the check fails; the others try to take the
/// lock at that interval. PostgreSQL also allows only one active walsender per slot, so two nodes never stream at once.
/// A node that cannot reach Redis does not try to lead, and a leader that cannot append to the change stream for
/// <see cref="ClusterOptions.LeaderStepDownAfter"/> gives the lock up (<see cref="StepDown"/>) so a node that can takes over.
/// </summary>
internal sealed partial class AdvisoryLockLease(
    DatabaseConnection database,
    ClusterRedis redis,
    IOptions<SluiceOptions> options,
    IOptions<ClusterOptions> cluster,
    ILogger<AdvisoryLockLease> logger) : ICaptureLease, IAsyncDisposable
{
    /// <summary>First key of the two-key advisory lock: "Slce".</summary>
    private const int LockClass = 0x536C6365;

    private NpgsqlConnection? _connection;
    private CancellationTokenSource? _held;
    private Task? _watch;
    private int _isLeader;
    private long _acquisitions;

    public bool IsLeader => Volatile.Read(ref _isLeader) == 1;

    /// <summary>How often this node became leader since start-up.</summary>
    public long Acquisitions => Interlocked.Read(ref _acquisitions);

    public async ValueTask<CancellationToken> AcquireAsync(CancellationToken cancellationToken)
    {
        var interval = cluster.Value.LeaderPollInterval;
        var key = LockKey(options.Value.SlotName);
        var failing = false;
        await ReleaseAsync();
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (!redis.IsConnected)
            {
                // Leading without Redis would capture into nowhere; leave the slot to a node that reaches it.
                await Task.Delay(interval, cancellationToken);
                continue;
            }
            NpgsqlConnection? connection = null;
            try
            {
                connection = new NpgsqlConnection(LeaseConnectionString(database.ConnectionString, interval));
                await connection.OpenAsync(cancellationToken);
                await using var command = new NpgsqlCommand("SELECT pg_catalog.pg_try_advisory_lock($1, $2)", connection);
                command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = LockClass });
                command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = key });
                if (await command.ExecuteScalarAsync(cancellationToken) is true)
                {
                    _connection = connection;
                    _held = new CancellationTokenSource();
                    Volatile.Write(ref _isLeader, 1);
                    Interlocked.Increment(ref _acquisitions);
                    _watch = WatchAsync(connection, _held, interval);
                    LogAcquired(options.Value.SlotName);
                    return _held.Token;
                }
                failing = false;
            }
            catch (Exception ex) when (ex is NpgsqlException or TimeoutException)
            {
                if (!failing)
                    LogLockUnavailable(ex);
                failing = true;
            }
            if (connection is not null)
                await connection.DisposeAsync();
            await Task.Delay(interval, cancellationToken);
        }
    }

    /// <summary>Gives leadership up (capture stops and the lock is released); the node may lead again later.</summary>
    public void StepDown()
    {
        if (Interlocked.Exchange(ref _isLeader, 0) == 0)
            return;
        LogSteppingDown(options.Value.SlotName);
        try
        {
            _held?.Cancel();
        }
        catch (ObjectDisposedException)
        {
        }
    }

    /// <summary>Checks the lock's connection; a failed check means the lock may be gone: leadership ends.</summary>
    private async Task WatchAsync(NpgsqlConnection connection, CancellationTokenSource held, TimeSpan interval)
    {
        try
        {
            while (!held.IsCancellationRequested)
            {
                await Task.Delay(interval, held.Token);
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(held.Token);
                timeout.CancelAfter(interval * 3 + TimeSpan.FromSeconds(1));
                await using var command = new NpgsqlCommand("SELECT 1", connection);
                await command.ExecuteScalarAsync(timeout.Token);
            }
        }
        catch (OperationCanceledException) when (held.IsCancellationRequested)
        {
            return;
        }
        catch (Exception ex)
        {
            LogLost(ex, options.Value.SlotName);
        }
        Volatile.Write(ref _isLeader, 0);
        await held.CancelAsync();
    }

    private async Task ReleaseAsync()
    {
        Volatile.Write(ref _isLeader, 0);
        if (_held is { } held)
        {
            await held.CancelAsync();
            if (_watch is { } watch)
                await watch.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            held.Dispose();
        }
        _held = null;
        _watch = null;
        if (_connection is { } connection)
            await connection.DisposeAsync();
        _connection = null;
    }

    public ValueTask DisposeAsync() => new(ReleaseAsync());

    /// <summary>A stable 32-bit key for the slot name (FNV-1a), so nodes of one slot share the lock and other slots do not.</summary>
    internal static int LockKey(string slotName)
    {
        var hash = 2166136261u;
        foreach (var b in Encoding.UTF8.GetBytes(slotName))
            hash = (hash ^ b) * 16777619u;
        return unchecked((int)hash);
    }

    /// <summary>Unpooled (a pooled connection would keep the lock after being returned), with TCP keepalives so a dead peer is noticed.</summary>
    private static string LeaseConnectionString(string connectionString, TimeSpan interval)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString)
        {
            Pooling = false,
            TcpKeepAlive = true,
            KeepAlive = Math.Max(1, (int)Math.Ceiling(interval.TotalSeconds)),
            ApplicationName = "sluice capture lease",
        };
        return builder.ConnectionString;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "This node is now the capture leader of slot {Slot}")]
    private partial void LogAcquired(string slot);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Lost the connection holding the capture lease of slot {Slot}")]
    private partial void LogLost(Exception exception, string slot);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Giving up the capture lease of slot {Slot}: the change stream cannot be appended to")]
    private partial void LogSteppingDown(string slot);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Cannot reach the database to take the capture lease; retrying")]
    private partial void LogLockUnavailable(Exception exception);
}
