using System.Diagnostics.Metrics;
using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using Sluice.Server.Http;

namespace Sluice.Server.Observability;

/// <summary>
/// Registers and maps metrics (<c>/metrics</c>, Prometheus text via OpenTelemetry), stats and health (<c>/health</c>,
/// <c>/health/live</c>, and <c>/health/ready</c>: capture streams and the database answers).
/// </summary>
internal static class ObservabilityExtensions
{
    private const string ReadyTag = "ready";

    public static IServiceCollection AddSluiceObservability(this IServiceCollection services)
    {
        // Background services started by SluiceStartup once the database is prepared.
        services.AddSingleton<SlotMonitor>();
        services.AddSingleton<StatsHistorySampler>();
        services.AddSingleton<ServerGauges>();
        // Per host, from its IMeterFactory: two servers in one process count apart.
        services.AddMetrics();
        services.AddSingleton<SluiceMetrics>();
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(static _ => new StatsHistory());
        services.AddHealthChecks()
            .AddCheck<CaptureHealthCheck>("capture", tags: [ReadyTag])
            .AddCheck<DatabaseHealthCheck>("database", tags: [ReadyTag]);
        services.AddOpenTelemetry()
            .ConfigureResource(static resource => resource.AddService("sluice", serviceVersion: typeof(SluiceMetrics).Assembly.GetName().Version?.ToString()))
            .WithMetrics(static metrics =>
            {
                metrics.AddMeter(SluiceMetrics.MeterName);
                // Built from the host's container (AddOpenTelemetry's builder is deferred): the view needs its IMeterFactory.
                ((IDeferredMeterProviderBuilder)metrics).Configure(static (provider, builder) =>
                    builder.AddView(OnlyThisHostsMeters(provider.GetRequiredService<IMeterFactory>())));
                metrics.AddPrometheusExporter(static exporter => exporter.ScrapeResponseCacheDurationMilliseconds = 0);
            });
        return services;
    }

    /// <summary>
    /// A view that drops the instruments of Sluice meters made by another host's <see cref="IMeterFactory"/>. OpenTelemetry's
    /// listener sees every meter of the process with the configured name, so two servers hosted in one process (an app that
    /// embeds two, or the integration tests) would otherwise export each other's instruments — one host's
    /// <c>sluice_connections</c> showing another's count. Meters of other names (the app's own) are left alone.
    /// </summary>
    private static Func<Instrument, MetricStreamConfiguration?> OnlyThisHostsMeters(IMeterFactory factory) =>
        instrument => instrument.Meter.Name == SluiceMetrics.MeterName && !ReferenceEquals(instrument.Meter.Scope, factory)
            ? MetricStreamConfiguration.Drop
            : null;

    /// <summary>
    /// Health (<c>/health</c>, <c>/health/live</c>, <c>/health/ready</c>), stats (<c>/api/realtime/stats</c> and its history)
    /// and metrics (<c>/metrics</c>); stats and metrics need the admin token when one is configured.
    /// </summary>
    public static RouteGroupBuilder MapObservability(this RouteGroupBuilder group)
    {
        group.MapStats();
        group.MapStatsHistory();
        group.MapHealth();
        group.MapPrometheusScrapingEndpoint("/metrics").RequireAdminTokenWhenConfigured();
        group.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = static _ => false, ResponseWriter = WriteAsync });
        group.MapHealthChecks("/health/ready", new HealthCheckOptions { Predicate = static check => check.Tags.Contains(ReadyTag), ResponseWriter = WriteAsync });
        return group;
    }

    /// <summary><c>{"status":"healthy","checks":{"capture":"capture is streaming"}}</c>.</summary>
    private static async Task WriteAsync(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json";
        await using var writer = new Utf8JsonWriter(context.Response.Body);
        writer.WriteStartObject();
        writer.WriteString("status"u8, report.Status.ToString().ToLowerInvariant());
        writer.WriteStartObject("checks"u8);
        foreach (var (name, entry) in report.Entries)
            writer.WriteString(name, entry.Description ?? entry.Status.ToString().ToLowerInvariant());
        writer.WriteEndObject();
        writer.WriteEndObject();
        await writer.FlushAsync(context.RequestAborted);
    }
}
