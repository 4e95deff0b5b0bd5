using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Npgsql;
using Sluice.Server.Auth;
using Sluice.Server.Capture;
using Sluice.Server.Cluster;
using Sluice.Server.Connections;
using Sluice.Server.Database;
using Sluice.Server.Limits;
using Sluice.Server.Observability;
using Sluice.Server.Protocols;
using Sluice.Server.Rooms;
using Sluice.Server.RowSecurity;
using Sluice.Server.Routing;
using Sluice.Server.Snapshots;
using Sluice.Server.Hosting;

// Where ASP.NET Core's own Add… extensions are (as SignalR's AddSignalR): no using needed in an app.
namespace Microsoft.Extensions.DependencyInjection;

/// <summary><c>builder.Services.AddSluice()</c>: Sluice's services in any ASP.NET Core app, as <c>AddSignalR()</c> adds SignalR's.</summary>
public static class SluiceServiceCollectionExtensions
{
    /// <summary>
    /// Adds Sluice: its settings bound from the app's configuration (the <c>Sluice</c> section and its <c>Auth</c>,
    /// <c>Rooms</c>, <c>Supabase</c>, <c>Limits</c> and <c>Cluster</c> sub-sections; <paramref name="configure"/> runs after
    /// binding), checked when the host starts (a bad setting stops the start with a message naming it); a hosted service that
    /// prepares the database (and Redis, on a cluster node) when the host starts, logging through the app's logging, and then
    /// starts capture and delivery; metrics and health checks. Map the endpoints with <c>app.MapSluice()</c> (or its parts).
    /// Also wraps the logger providers registered so far so that tokens and secrets never reach the app's logs: call it after
    /// adding logging providers. Calling it again only applies <paramref name="configure"/>.
    /// </summary>
    public static IServiceCollection AddSluice(this IServiceCollection services, Action<SluiceOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        if (services.Any(static descriptor => descriptor.ServiceType == typeof(SluiceStartupState)))
        {
            if (configure is not null)
                services.Configure(configure);
            return services;
        }

        var options = services.AddOptions<SluiceOptions>().BindConfiguration(SluiceOptions.SectionName);
        if (configure is not null)
            options.Configure(configure);
        options.ValidateOnStart();
        services.AddOptions<AuthOptions>().BindConfiguration(AuthOptions.SectionName).ValidateOnStart();
        services.AddOptions<RoomOptions>().BindConfiguration(RoomOptions.SectionName).ValidateOnStart();
        services.AddOptions<LimitsOptions>().BindConfiguration(LimitsOptions.SectionName).ValidateOnStart();
        services.AddOptions<ClusterOptions>().BindConfiguration(ClusterOptions.SectionName).ValidateOnStart();
        var validation = new SluiceOptionsValidation();
        services.AddSingleton<IValidateOptions<SluiceOptions>>(validation);
        services.AddSingleton<IValidateOptions<AuthOptions>>(validation);
        services.AddSingleton<IValidateOptions<RoomOptions>>(validation);
        services.AddSingleton<IValidateOptions<LimitsOptions>>(validation);
        services.AddSingleton<IValidateOptions<ClusterOptions>>(validation);

        // Prepared at start-up (see SluiceStartup), handed out from there.
        services.AddSingleton<SluiceStartupState>();
        services.AddSingleton(static provider => provider.GetRequiredService<SluiceStartupState>().Database);
        services.AddSingleton(static provider => provider.GetRequiredService<SluiceStartupState>().Database.DataSource);
        services.AddSingleton(static provider => provider.GetRequiredService<SluiceStartupState>().Log);

        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(static provider => SigningKeys.Create(provider.GetRequiredService<IOptions<AuthOptions>>().Value));
        services.AddSingleton<TokenValidator>();
        services.AddSingleton(static provider => new RoomRegistry(provider.GetRequiredService<IOptions<RoomOptions>>()));
        services.AddSingleton<ConnectionLimits>();
        ClusterServices.Register(services);

        services.AddSingleton<ColumnTypeResolver>();
        services.AddSingleton<TableCatalog>();
        services.AddSingleton<ConnectionRegistry>();
        services.AddSingleton<SubscriptionRouter>();
        services.AddSingleton<SnapshotReader>();
        services.AddSingleton<SubscriberAccess>();
        services.AddSingleton<TableAccessResolver>();
        services.AddSingleton<TopicPolicyProbe>();
        services.AddSingleton<PrivateTopicAuthorization>();
        services.AddSingleton<RowAccessChecker>();
        services.AddSingleton(static provider => new TableSecurityReader(provider.GetRequiredService<NpgsqlDataSource>()));
        services.AddSingleton<RowAccess>();
        services.AddSluiceProtocols();
        services.AddSingleton<SubscriptionServices>();
        services.AddSingleton<StoredBroadcastReader>();
        services.AddSingleton<DatabaseBroadcasts>();
        // Started by SluiceStartup once the database is prepared, not by the host.
        services.AddSingleton<RealtimeMessagesPartitions>();
        services.AddSingleton<LogicalCapture>();
        services.AddSingleton<ChangeDispatcher>();
        services.AddSingleton<DatabaseMonitor>();
        services.AddSingleton<WalHeartbeat>();
        services.AddSingleton<StartupCatchUp>();
        services.AddSingleton<HeartbeatService>();
        services.AddSluiceObservability();
        services.AddHostedService<SluiceStartup>();

        services.RedactSecretsInLogs();
        return services;
    }
}
