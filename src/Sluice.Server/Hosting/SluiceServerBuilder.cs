using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Npgsql;
using Sluice.Server.Auth;
using Sluice.Server.Capture;
using Sluice.Server.Cluster;
using Sluice.Server.Connections;
using Sluice.Server.Database;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Sluice.Server.Http;
using Sluice.Server.Limits;
using Sluice.Server.Log;
using Sluice.Server.Observability;
using Sluice.Server.Protocols;
using Sluice.Server.Rooms;
using Sluice.Server.RowSecurity;
using Sluice.Server.Snapshots;
using Sluice.Server.Routing;

namespace Sluice.Server.Hosting;

/// <summary>Composes the Sluice server; used by <c>Program</c>, the integration tests and the benchmarks.</summary>
public static class SluiceServerBuilder
{
    /// <summary>Command-line switches and the configuration keys they set.</summary>
    public static readonly IReadOnlyDictionary<string, string> SwitchMappings = new Dictionary<string, string>
    {
        ["--database"] = "Sluice:Database",
        ["--slot"] = "Sluice:SlotName",
        ["--publication"] = "Sluice:PublicationName",
        ["--heartbeat-interval"] = "Sluice:HeartbeatInterval",
        ["--max-message-bytes"] = "Sluice:MaxMessageBytes",
        ["--queue-frames"] = "Sluice:OutboundQueueFrames",
        ["--queue-bytes"] = "Sluice:OutboundQueueBytes",
        ["--send-timeout"] = "Sluice:SendTimeout",
        ["--retention-changes"] = "Sluice:RetentionChanges",
        ["--retention-bytes"] = "Sluice:RetentionBytes",
        ["--retention-age"] = "Sluice:RetentionAge",
        ["--wal-heartbeat-interval"] = "Sluice:WalHeartbeatInterval",
        ["--data-dir"] = "Sluice:EmbeddedDataDirectory",
        ["--demo-table"] = "Sluice:EmbeddedDemoTable",
        ["--inline-scheduling"] = "Sluice:InlineScheduling",
        ["--jwt-secret"] = "Sluice:Auth:JwtSecret",
        ["--jwks"] = "Sluice:Auth:Jwks",
        ["--jwt-issuer"] = "Sluice:Auth:Issuer",
        ["--jwt-audience"] = "Sluice:Auth:Audience",
        ["--jwt-clock-skew"] = "Sluice:Auth:ClockSkew",
        ["--allow-anonymous"] = "Sluice:Auth:AllowAnonymous",
        ["--anonymous-role"] = "Sluice:Auth:AnonymousRole",
        ["--authenticated-role"] = "Sluice:Auth:AuthenticatedRole",
        ["--role-claim"] = "Sluice:Auth:RoleClaim",
        ["--admin-token"] = "Sluice:AdminToken",
        ["--max-channels"] = "Sluice:Limits:MaxChannelsPerConnection",
        ["--messages-per-second"] = "Sluice:Limits:MessagesPerSecond",
        ["--message-burst"] = "Sluice:Limits:MessageBurst",
        ["--refused-messages-before-close"] = "Sluice:Limits:RefusedMessagesBeforeClose",
        ["--max-connections-per-ip"] = "Sluice:Limits:MaxConnectionsPerAddress",
        ["--redis"] = "Sluice:Cluster:Redis",
        ["--node-id"] = "Sluice:Cluster:NodeId",
        ["--leader-poll-interval"] = "Sluice:Cluster:LeaderPollInterval",
        ["--node-timeout"] = "Sluice:Cluster:NodeTimeout",
        ["--leader-step-down-after"] = "Sluice:Cluster:LeaderStepDownAfter",
        ["--max-record-bytes"] = "Sluice:MaxRecordBytes",
        ["--supabase-max-record-bytes"] = "Sluice:Supabase:MaxRecordBytes",
        ["--supabase-idle-timeout"] = "Sluice:Supabase:IdleTimeout",
    };

    /// <summary>How long start-up waits for another process to release the slot (a killed server's walsender lingers a moment).</summary>
    private static readonly TimeSpan SlotBusyPatience = TimeSpan.FromSeconds(15);

    public static WebApplicationBuilder CreateBuilder(string[] args)
    {
        var builder = WebApplication.CreateBuilder(ApplicationDirectory.BuilderOptions(args));
        builder.Configuration.AddCommandLine(args, SwitchMappings.ToDictionary(StringComparer.Ordinal));
        if (string.IsNullOrWhiteSpace(builder.Configuration["Sluice:Database"])
            && Environment.GetEnvironmentVariable("SLUICE_DATABASE") is { Length: > 0 } fromEnvironment)
            builder.Configuration["Sluice:Database"] = fromEnvironment;
        if (string.IsNullOrEmpty(builder.Configuration["Sluice:Auth:JwtSecret"])
            && Environment.GetEnvironmentVariable("SLUICE_JWT_SECRET") is { Length: > 0 } secretFromEnvironment)
            builder.Configuration["Sluice:Auth:JwtSecret"] = secretFromEnvironment;
        if (string.IsNullOrEmpty(builder.Configuration["Sluice:AdminToken"])
            && Environment.GetEnvironmentVariable("SLUICE_ADMIN_TOKEN") is { Length: > 0 } adminTokenFromEnvironment)
            builder.Configuration["Sluice:AdminToken"] = adminTokenFromEnvironment;
        if (string.IsNullOrWhiteSpace(builder.Configuration["Sluice:Cluster:Redis"])
            && Environment.GetEnvironmentVariable("SLUICE_REDIS") is { Length: > 0 } redisFromEnvironment)
            builder.Configuration["Sluice:Cluster:Redis"] = redisFromEnvironment;
        if (string.IsNullOrWhiteSpace(builder.Configuration["urls"]) && string.IsNullOrWhiteSpace(builder.Configuration["http_ports"]))
            builder.WebHost.UseUrls("http://localhost:8080");
        if (builder.Configuration.GetValue<bool>($"{SluiceOptions.SectionName}:{nameof(SluiceOptions.InlineScheduling)}"))
            builder.WebHost.UseSockets(sockets => sockets.UnsafePreferInlineScheduling = true);
        return builder;
    }

    /// <summary>Validates settings, prepares the database (SQL API, publication, slot, log epoch), registers services and maps endpoints.</summary>
    public static async Task<WebApplication> BuildAsync(WebApplicationBuilder builder, CancellationToken cancellationToken = default)
    {
        var settings = builder.Configuration.GetSection(SluiceOptions.SectionName).Get<SluiceOptions>() ?? new SluiceOptions();
        var validation = new DataAnnotationValidateOptions<SluiceOptions>(null).Validate(null, settings);
        if (validation.Failed)
            throw new OptionsValidationException(SluiceOptions.SectionName, typeof(SluiceOptions), validation.Failures);
        builder.Services.AddOptions<SluiceOptions>().Bind(builder.Configuration.GetSection(SluiceOptions.SectionName));
        var signingKeys = ConfigureAuth(builder);
        ConfigureRooms(builder);
        builder.AddSluiceProtocols();
        ConfigureLimits(builder);
        var cluster = ClusterServices.Configure(builder);

        if (string.IsNullOrWhiteSpace(settings.Database))
            throw new InvalidOperationException("No database configured: pass --database postgresql://user:password@host/db or set SLUICE_DATABASE.");

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
        ChangeLog log;
        try
        {
            await DatabaseRequirements.CheckAsync(database.DataSource, database.ConnectionString, cancellationToken);
            // Cluster nodes starting together prepare the database one after the other (one slot, one epoch).
            await using var startup = cluster.Enabled ? await StartupLock.AcquireAsync(database.ConnectionString, settings.SlotName, cancellationToken) : null;
            await SqlApi.InstallAsync(database.DataSource, settings.PublicationName, cancellationToken);
            var created = await ReplicationSlot.EnsureAsync(database.DataSource, database.ConnectionString, settings.SlotName, cancellationToken);
            // A single server owns its slot: one still streaming to someone else is an error, not something to retry forever
            // (cluster nodes share the slot, and only their leader streams).
            if (!created && !cluster.Enabled)
                await ReplicationSlot.WaitUntilFreeAsync(database.DataSource, settings.SlotName, SlotBusyPatience, TimeProvider.System, cancellationToken);
            var epoch = await LogEpoch.ResolveAsync(database.DataSource, settings.SlotName, created, cancellationToken);
            var position = await ReplicationSlot.ReadPositionAsync(database.DataSource, settings.SlotName, cancellationToken);
            log = new ChangeLog(epoch, new RetentionLimits(settings.RetentionChanges, settings.RetentionBytes, settings.RetentionAge));
            log.Start(position?.ConfirmedFlushLsn ?? 0);
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
        if (cluster.Enabled)
        {
            using var loggers = LoggerFactory.Create(logging => logging.AddSimpleConsole(console => console.SingleLine = true));
            await ClusterServices.AddClusterNodeAsync(builder.Services, cluster, settings.SlotName, log, log.AcknowledgeableLsn,
                loggers.CreateLogger("Sluice.Cluster"));
        }
        else
        {
            ClusterServices.AddSingleNode(builder.Services);
        }

        builder.Services.AddSingleton(signingKeys);
        builder.Services.AddSingleton<TokenValidator>();
        builder.Services.AddSingleton(database);
        builder.Services.AddSingleton(database.DataSource);
        builder.Services.AddSingleton(log);
        builder.Services.AddSingleton<ColumnTypeResolver>();
        builder.Services.AddSingleton<TableCatalog>();
        builder.Services.AddSingleton<ConnectionRegistry>();
        builder.Services.AddSingleton<SubscriptionRouter>();
        builder.Services.AddSingleton<SnapshotReader>();
        builder.Services.AddSingleton<SubscriberAccess>();
        builder.Services.AddSingleton<TableAccessResolver>();
        builder.Services.AddSingleton<RowAccessChecker>();
        builder.Services.AddSingleton(static services => new TableSecurityReader(services.GetRequiredService<NpgsqlDataSource>()));
        builder.Services.AddSingleton<RowAccess>();
        builder.Services.AddSingleton<SubscriptionServices>();
        builder.Services.AddSingleton<LogicalCapture>();
        builder.Services.AddHostedService(static services => services.GetRequiredService<LogicalCapture>());
        builder.Services.AddSingleton<ChangeDispatcher>();
        builder.Services.AddHostedService(static services => services.GetRequiredService<ChangeDispatcher>());
        builder.Services.AddSingleton<DatabaseMonitor>();
        builder.Services.AddHostedService(static services => services.GetRequiredService<DatabaseMonitor>());
        builder.Services.AddSingleton<WalHeartbeat>();
        builder.Services.AddHostedService(static services => services.GetRequiredService<WalHeartbeat>());
        builder.Services.AddHostedService<HeartbeatService>();
        builder.Services.AddSluiceObservability();

        builder.Services.RedactSecretsInLogs();
        var app = builder.Build();
        app.MapSluice();
        return app;
    }

    /// <summary>Validates the <c>Sluice:Auth</c> settings (failing start-up with clear messages) and loads the signing keys.</summary>
    private static SigningKeys ConfigureAuth(WebApplicationBuilder builder)
    {
        var section = builder.Configuration.GetSection(AuthOptions.SectionName);
        var auth = section.Get<AuthOptions>() ?? new AuthOptions();
        var failures = AuthOptionsValidator.Validate(auth);
        if (failures.Count > 0)
            throw new OptionsValidationException(AuthOptions.SectionName, typeof(AuthOptions), failures);
        builder.Services.AddOptions<AuthOptions>().Bind(section);
        return SigningKeys.Create(auth);
    }

    /// <summary>Validates the <c>Sluice:Rooms</c> settings (failing start-up with clear messages) and registers the room registry.</summary>
    private static void ConfigureRooms(WebApplicationBuilder builder)
    {
        var section = builder.Configuration.GetSection(RoomOptions.SectionName);
        var rooms = section.Get<RoomOptions>() ?? new RoomOptions();
        var failures = RoomOptionsValidator.Validate(rooms);
        if (failures.Count > 0)
            throw new OptionsValidationException(RoomOptions.SectionName, typeof(RoomOptions), failures);
        builder.Services.AddOptions<RoomOptions>().Bind(section);
        builder.Services.AddSingleton(static services => new RoomRegistry(services.GetRequiredService<IOptions<RoomOptions>>()));
    }

    /// <summary>Validates the <c>Sluice:Limits</c> settings (failing start-up) and registers the limits.</summary>
    private static void ConfigureLimits(WebApplicationBuilder builder)
    {
        var section = builder.Configuration.GetSection(LimitsOptions.SectionName);
        var limits = section.Get<LimitsOptions>() ?? new LimitsOptions();
        var validation = new DataAnnotationValidateOptions<LimitsOptions>(null).Validate(null, limits);
        if (validation.Failed)
            throw new OptionsValidationException(LimitsOptions.SectionName, typeof(LimitsOptions), validation.Failures);
        builder.Services.AddOptions<LimitsOptions>().Bind(section);
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<ConnectionLimits>();
    }

    /// <summary>The addresses Kestrel listens on, once started.</summary>
    public static IReadOnlyList<string> Addresses(WebApplication app) =>
        app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.ToArray() ?? [];
}
