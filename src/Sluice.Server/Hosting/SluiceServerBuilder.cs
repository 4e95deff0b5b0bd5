using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Npgsql;
using Sluice.Server.Capture;
using Sluice.Server.Connections;
using Sluice.Server.Database;
using Sluice.Server.Http;
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
        ["--data-dir"] = "Sluice:EmbeddedDataDirectory",
        ["--demo-table"] = "Sluice:EmbeddedDemoTable",
    };

    public static WebApplicationBuilder CreateBuilder(string[] args)
    {
        var builder = WebApplication.CreateBuilder(args);
        builder.Configuration.AddCommandLine(args, SwitchMappings.ToDictionary(StringComparer.Ordinal));
        if (string.IsNullOrWhiteSpace(builder.Configuration["Sluice:Database"])
            && Environment.GetEnvironmentVariable("SLUICE_DATABASE") is { Length: > 0 } fromEnvironment)
            builder.Configuration["Sluice:Database"] = fromEnvironment;
        if (string.IsNullOrWhiteSpace(builder.Configuration["urls"]) && string.IsNullOrWhiteSpace(builder.Configuration["http_ports"]))
            builder.WebHost.UseUrls("http://localhost:8080");
        return builder;
    }

    /// <summary>Registers services, connects to the database, installs the SQL API and the slot, and maps endpoints.</summary>
    public static async Task<WebApplication> BuildAsync(WebApplicationBuilder builder, CancellationToken cancellationToken = default)
    {
        builder.Services.AddOptions<SluiceOptions>()
            .Bind(builder.Configuration.GetSection(SluiceOptions.SectionName))
            .ValidateDataAnnotations()
            .ValidateOnStart();

        var connectionString = builder.Configuration["Sluice:Database"];
        if (string.IsNullOrWhiteSpace(connectionString))
            throw new InvalidOperationException("No database configured: pass --database \"Host=…\" or set SLUICE_DATABASE.");

        var database = new DatabaseConnection(connectionString);
        builder.Services.AddSingleton(database);
        builder.Services.AddSingleton(database.DataSource);
        builder.Services.AddSingleton<ColumnTypeResolver>();
        builder.Services.AddSingleton<TableCatalog>();
        builder.Services.AddSingleton<ConnectionRegistry>();
        builder.Services.AddSingleton<SubscriptionRouter>();
        builder.Services.AddSingleton<LogicalCapture>();
        builder.Services.AddHostedService(static services => services.GetRequiredService<LogicalCapture>());
        builder.Services.AddSingleton<ChangeDispatcher>();
        builder.Services.AddHostedService(static services => services.GetRequiredService<ChangeDispatcher>());
        builder.Services.AddHostedService<HeartbeatService>();

        var app = builder.Build();
        var options = app.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<SluiceOptions>>().Value;
        try
        {
            await SqlApi.InstallAsync(database.DataSource, options.PublicationName, cancellationToken);
            await ReplicationSlot.EnsureAsync(database.DataSource, database.ConnectionString, options.SlotName, cancellationToken);
        }
        catch (NpgsqlException ex)
        {
            await app.DisposeAsync();
            throw new DatabaseSetupException($"Cannot prepare the database for Sluice: {ex.Message}", ex);
        }
        app.MapSluice();
        return app;
    }

    /// <summary>The addresses Kestrel listens on, once started.</summary>
    public static IReadOnlyList<string> Addresses(WebApplication app) =>
        app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.ToArray() ?? [];
}
