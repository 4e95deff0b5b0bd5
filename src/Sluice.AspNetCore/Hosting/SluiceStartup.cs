using Microsoft.Extensions.Options;
using Npgsql;
using Sluice.Server.Capture;
using Sluice.Server.Cluster;
using Sluice.Server.Connections;
using Sluice.Server.Database;
using Sluice.Server.Log;
using Sluice.Server.Observability;
using Sluice.Server.Routing;

namespace Sluice.Server.Hosting;

/// <summary>
/// The hosted service <see cref="SluiceServiceCollectionExtensions.AddSluice"/> registers. When the host starts, it
/// prepares the database (requirements, SQL API and publication, Supabase's <c>realtime</c> schema where absent, the slot,
/// the log's epoch and start), joins the cluster on a cluster node, runs the start-up seeds, and only then creates and
/// starts Sluice's own services — the partitions of <c>realtime.messages</c>, capture, dispatcher and the rest — in order;
/// it stops them in reverse. Nothing of Sluice exists before the database is ready, and nothing
/// does I/O before the host starts. A failure fails the host's start with <see cref="DatabaseSetupException"/> (one line
/// that says what to fix) and stops what it had started. Like the host, it watches each background service it started and
/// stops the application when one fails (unless <see cref="HostOptions.BackgroundServiceExceptionBehavior"/> says ignore).
/// </summary>
internal sealed partial class SluiceStartup(
    IServiceProvider services,
    SluiceStartupState state,
    IOptions<SluiceOptions> options,
    IOptions<ClusterOptions> clusterOptions,
    IOptions<HostOptions> hostOptions,
    IHostApplicationLifetime lifetime,
    ILogger<SluiceStartup> logger) : IHostedService
{
    /// <summary>How long start-up waits for another process to release the slot (a killed server's walsender lingers a moment).</summary>
    private static readonly TimeSpan SlotBusyPatience = TimeSpan.FromSeconds(15);

    /// <summary>
    /// Sluice's own hosted services after the cluster's, in start order. The partitions of realtime.messages come first:
    /// their first round runs in their start, so <c>realtime.send</c> works once Sluice is ready.
    /// </summary>
    private static readonly Type[] ServerServices =
    [
        typeof(RealtimeMessagesPartitions), typeof(LogicalCapture), typeof(ChangeDispatcher), typeof(DatabaseMonitor),
        typeof(WalHeartbeat), typeof(StartupCatchUp), typeof(HeartbeatService), typeof(SlotMonitor), typeof(StatsHistorySampler),
    ];

    private readonly List<IHostedService> _started = [];
    private volatile bool _stopping;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var cluster = clusterOptions.Value;
        var (database, log) = await PrepareDatabaseAsync(options.Value, cluster.Enabled, cancellationToken);
        try
        {
            ClusterRedis? redis = null;
            ChangeStreamStart? streamStart = null;
            if (cluster.Enabled)
                (redis, streamStart) = await ClusterServices.JoinAsync(cluster, options.Value.SlotName, log, log.AcknowledgeableLsn, logger);
            state.Publish(database, log, redis, streamStart);
            if (!ReferenceEquals(services.GetRequiredService<NpgsqlDataSource>(), database.DataSource))
                throw new InvalidOperationException(
                    "Another NpgsqlDataSource is registered in the app's services after AddSluice: Sluice needs its own. Register the app's as a keyed service (AddKeyedSingleton) instead.");
            foreach (var seed in services.GetServices<StartupSeed>())
                await seed.RunAsync(database.DataSource, cancellationToken);
        }
        catch (NpgsqlException ex)
        {
            throw new DatabaseSetupException($"Cannot prepare the database for Sluice: {DatabaseErrors.OneLine(ex)}", ex);
        }

        // Instruments exist before the first scrape.
        services.GetRequiredService<ServerGauges>();
        try
        {
            foreach (var type in (cluster.Enabled ? ClusterServices.HostedServices : []).Concat(ServerServices))
            {
                var service = (IHostedService)services.GetRequiredService(type);
                await service.StartAsync(cancellationToken);
                _started.Add(service);
                if (service is BackgroundService background)
                    _ = WatchAsync(background);
            }
        }
        catch
        {
            await StopStartedAsync(CancellationToken.None);
            throw;
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => StopStartedAsync(cancellationToken);

    private async Task<(DatabaseConnection Database, ChangeLog Log)> PrepareDatabaseAsync(SluiceOptions settings, bool cluster, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(settings.Database))
            throw new DatabaseSetupException("No database configured: set Sluice:Database (the sluice executable: --database postgresql://user:password@host/db or SLUICE_DATABASE).");

        DatabaseConnection database;
        try
        {
            database = new DatabaseConnection(PostgresConnectionString.Parse(settings.Database).ConnectionString);
        }
        catch (FormatException ex)
        {
            throw new DatabaseSetupException(ex.Message, ex);
        }
        catch (ArgumentException ex)
        {
            throw new DatabaseSetupException($"The database connection string is not valid: {DatabaseErrors.OneLine(ex)}", ex);
        }
        try
        {
            await DatabaseRequirements.CheckAsync(database.DataSource, database.ConnectionString, cancellationToken);
            // Cluster nodes starting together prepare the database one after the other (one slot, one epoch).
            await using var startup = cluster ? await StartupLock.AcquireAsync(database.ConnectionString, settings.SlotName, cancellationToken) : null;
            await SqlApi.InstallAsync(database.DataSource, settings.PublicationName, cancellationToken);
            await RealtimeSchema.InstallAsync(database.DataSource, settings.PublicationName, logger, cancellationToken);
            var created = await ReplicationSlot.EnsureAsync(database.DataSource, database.ConnectionString, settings.SlotName, cancellationToken);
            // A single server owns its slot: one still streaming to someone else is an error, not something to retry forever
            // (cluster nodes share the slot, and only their leader streams).
            if (!created && !cluster)
                await ReplicationSlot.WaitUntilFreeAsync(database.DataSource, settings.SlotName, SlotBusyPatience, TimeProvider.System, cancellationToken);
            var epoch = await LogEpoch.ResolveAsync(database.DataSource, settings.SlotName, created, cancellationToken);
            var position = await ReplicationSlot.ReadPositionAsync(database.DataSource, settings.SlotName, cancellationToken);
            var log = new ChangeLog(epoch, new RetentionLimits(settings.RetentionChanges, settings.RetentionBytes, settings.RetentionAge));
            log.Start(position?.ConfirmedFlushLsn ?? 0);
            return (database, log);
        }
        catch (NpgsqlException ex)
        {
            await database.DisposeAsync();
            throw new DatabaseSetupException($"Cannot prepare the database for Sluice: {DatabaseErrors.OneLine(ex)}", ex);
        }
        catch (DatabaseRequirementException ex)
        {
            await database.DisposeAsync();
            throw new DatabaseSetupException(ex.Message, ex);
        }
        catch
        {
            await database.DisposeAsync();
            throw;
        }
    }

    private async Task StopStartedAsync(CancellationToken cancellationToken)
    {
        _stopping = true;
        List<Exception>? failures = null;
        for (var i = _started.Count - 1; i >= 0; i--)
        {
            try
            {
                await _started[i].StopAsync(cancellationToken);
            }
            catch (Exception ex)
            {
                (failures ??= []).Add(ex);
            }
        }
        _started.Clear();
        if (failures is not null)
            throw new AggregateException("One or more of Sluice's services failed to stop.", failures);
    }

    /// <summary>What the host does for the background services it starts itself: a failure is logged and, by default, stops the app.</summary>
    private async Task WatchAsync(BackgroundService service)
    {
        if (service.ExecuteTask is not { } running)
            return;
        try
        {
            await running.ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (_stopping)
        {
        }
        catch (Exception ex)
        {
            LogServiceFailed(logger, service.GetType().Name, ex);
            if (hostOptions.Value.BackgroundServiceExceptionBehavior == BackgroundServiceExceptionBehavior.StopHost)
                lifetime.StopApplication();
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Sluice's {Service} failed; the app stops")]
    private static partial void LogServiceFailed(ILogger logger, string service, Exception exception);
}
