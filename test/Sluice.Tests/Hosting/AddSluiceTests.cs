using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Sluice.Server.Hosting;
using Sluice.Server.Log;

namespace Sluice.Tests.Hosting;

/// <summary>
/// Sluice in an app of its own: <c>AddSluice</c> binds and checks the settings when the host starts (before any I/O),
/// hands out its services only once started, and <c>MapSluice…</c> maps the executable's routes, each part composable.
/// </summary>
public sealed class AddSluiceTests
{
    /// <summary>Nothing listens there: reaching the database would fail with a different error than the one expected.</summary>
    private const string UnreachableDatabase = "Host=127.0.0.1;Port=1;Username=nobody;Password=nothing;Database=none";

    private static WebApplication App(Action<SluiceOptions>? configure = null, params (string Key, string Value)[] settings)
    {
        var builder = WebApplication.CreateBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Configuration.AddInMemoryCollection(settings.Select(static setting => new KeyValuePair<string, string?>(setting.Key, setting.Value)));
        builder.Services.AddSluice(configure);
        return builder.Build();
    }

    [Fact]
    public async Task A_bad_setting_stops_the_start_before_the_database_is_touched()
    {
        await using var app = App(null, ("Sluice:Database", UnreachableDatabase), ("Sluice:Limits:MessagesPerSecond", "0"));
        var failure = await Assert.ThrowsAsync<OptionsValidationException>(() => app.StartAsync());
        Assert.Contains("MessagesPerSecond", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Every_section_is_checked_together()
    {
        await using var app = App(null, ("Sluice:Database", UnreachableDatabase), ("Sluice:Auth:JwtSecret", "short"), ("Sluice:Cluster:NodeTimeout", "-00:00:01"));
        var failures = await Assert.ThrowsAsync<AggregateException>(() => app.StartAsync());
        var messages = string.Join("\n", failures.InnerExceptions.Select(static inner => inner.Message));
        Assert.Contains("JwtSecret is too short", messages, StringComparison.Ordinal);
        Assert.Contains("NodeTimeout", messages, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_configure_action_runs_after_binding_and_is_checked_too()
    {
        await using (var app = App(static options => options.SlotName = "from_code", ("Sluice:SlotName", "from_configuration")))
            Assert.Equal("from_code", app.Services.GetRequiredService<IOptions<SluiceOptions>>().Value.SlotName);

        await using var invalid = App(static options => options.SlotName = "Not A Slot", ("Sluice:Database", UnreachableDatabase));
        var failure = await Assert.ThrowsAsync<OptionsValidationException>(() => invalid.StartAsync());
        Assert.Contains("SlotName must be", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_a_database_the_start_fails_naming_the_setting()
    {
        await using var app = App();
        var failure = await Assert.ThrowsAsync<DatabaseSetupException>(() => app.StartAsync());
        Assert.Contains("Sluice:Database", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unreachable_database_fails_the_start_with_one_line()
    {
        await using var app = App(null, ("Sluice:Database", UnreachableDatabase));
        var failure = await Assert.ThrowsAsync<DatabaseSetupException>(() => app.StartAsync());
        Assert.DoesNotContain('\n', failure.Message);
        Assert.DoesNotContain("nothing", failure.Message, StringComparison.Ordinal); // the password
    }

    [Fact]
    public async Task Sluice_services_asked_for_before_the_start_say_so()
    {
        await using var app = App(null, ("Sluice:Database", UnreachableDatabase));
        var failure = Assert.Throws<InvalidOperationException>(() => app.Services.GetRequiredService<ChangeLog>());
        Assert.Contains("once the host has started", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MapSluice_maps_the_executables_routes()
    {
        await using var app = App();
        app.MapSluice();
        string[] expected =
        [
            "* /realtime", "* /realtime/v1/websocket", "* /socket/websocket",
            "POST /realtime/v1/api/broadcast", "POST /realtime/v1/api/broadcast/{topic}/events/{event}",
            "GET /api/tables/{name}/rows", "POST /api/broadcast", "POST /api/broadcast/{topic}/events/{event}",
            "GET /api/realtime/stats", "GET /api/realtime/stats/history", "GET /health", "* /metrics", "* /health/live", "* /health/ready",
            "GET /api/admin/tables", "POST /api/admin/tables/{name}/enable", "POST /api/admin/tables/{name}/disable", "GET /",
        ];
        Assert.Equal(expected.Order(StringComparer.Ordinal), Routes(app).Select(static route => route.Route).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task A_convention_on_one_part_applies_to_that_part_only()
    {
        await using var app = App();
        app.MapSluiceRealtime();
        app.MapSluiceObservability().RequireAuthorization();
        var routes = Routes(app).ToDictionary(static route => route.Route, static route => route.Endpoint);
        Assert.NotNull(routes["GET /health"].Metadata.GetMetadata<IAuthorizeData>());
        Assert.NotNull(routes["* /metrics"].Metadata.GetMetadata<IAuthorizeData>());
        Assert.Null(routes["* /realtime"].Metadata.GetMetadata<IAuthorizeData>());
        Assert.DoesNotContain("GET /api/admin/tables", routes.Keys);
    }

    private static IEnumerable<(string Route, RouteEndpoint Endpoint)> Routes(WebApplication app) =>
        ((IEndpointRouteBuilder)app).DataSources.SelectMany(static source => source.Endpoints).OfType<RouteEndpoint>().Select(static endpoint =>
            ((endpoint.Metadata.GetMetadata<Microsoft.AspNetCore.Routing.IHttpMethodMetadata>()?.HttpMethods is { Count: > 0 } methods ? string.Join(',', methods) : "*")
                + " " + endpoint.RoutePattern.RawText, endpoint));
}
