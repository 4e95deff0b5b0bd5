using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Options;

namespace Sluice.Server.Hosting;

/// <summary>
/// Composes the <c>sluice</c> executable's server (its switches, environment variables and default address, then
/// <c>AddSluice</c> and <c>MapSluice</c>); used by <see cref="SluiceProgram"/> and the integration tests. An app hosting Sluice
/// calls <c>AddSluice</c> and <c>MapSluice</c> itself.
/// </summary>
internal static class SluiceServerBuilder
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

    /// <summary>
    /// The server as the executable runs it: <see cref="SluiceServiceCollectionExtensions.AddSluice"/>, the app, and every
    /// endpoint (<see cref="SluiceEndpointRouteBuilderExtensions.MapSluice"/>). Settings are checked here already (an
    /// <see cref="OptionsValidationException"/> names each bad one); the database is prepared when the app starts.
    /// </summary>
    public static WebApplication Build(WebApplicationBuilder builder)
    {
        builder.Services.AddSluice();
        var app = builder.Build();
        try
        {
            app.Services.GetService<IStartupValidator>()?.Validate();
        }
        catch
        {
            ((IDisposable)app).Dispose();
            throw;
        }
        app.MapSluice();
        return app;
    }

    /// <summary>The addresses Kestrel listens on, once started.</summary>
    public static IReadOnlyList<string> Addresses(WebApplication app) =>
        app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.ToArray() ?? [];
}
