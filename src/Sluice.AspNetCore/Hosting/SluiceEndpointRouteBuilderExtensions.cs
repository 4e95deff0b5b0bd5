using Microsoft.AspNetCore.Http.Features;
using Sluice.Server.Connections;
using Sluice.Server.Dashboard;
using Sluice.Server.Http;
using Sluice.Server.Observability;

// Where ASP.NET Core's own Map… extensions are (as SignalR's MapHub): no using needed in an app.
namespace Microsoft.AspNetCore.Builder;

/// <summary>
/// Maps Sluice's HTTP and WebSocket endpoints: <see cref="MapSluice"/> all of them (what the <c>sluice</c> executable
/// serves), or the parts an app wants to expose. Each returns a convention builder, so the app's own
/// <c>.RequireAuthorization()</c>, <c>.RequireCors()</c> or <c>.RequireRateLimiting()</c> applies to what it maps; the routes
/// are Sluice's own (clients and supabase-js expect them). The first call also adds the middleware these endpoints need
/// (ASP.NET Core's WebSockets, the admin check, coalesced socket writes) at that point of the app's pipeline: map Sluice
/// after the app's <c>UseRouting</c>/<c>UseAuthentication</c>/<c>UseAuthorization</c>, if it calls them.
/// </summary>
public static class SluiceEndpointRouteBuilderExtensions
{
    private const string MiddlewareAdded = "Sluice.MiddlewareAdded";

    /// <summary>Everything: the native protocol, the Supabase protocol, the HTTP API, health, stats and metrics, the admin API and the dashboard.</summary>
    public static IEndpointConventionBuilder MapSluice(this WebApplication app) => new CompositeEndpointConventionBuilder(
    [
        app.MapSluiceRealtime(),
        app.MapSluiceSupabase(),
        app.MapSluiceHttpApi(),
        app.MapSluiceObservability(),
        app.MapSluiceAdmin(),
        app.MapSluiceDashboard(),
    ]);

    /// <summary>The native protocol's WebSocket (<c>/realtime</c> unless <paramref name="pattern"/> says otherwise).</summary>
    public static RouteHandlerBuilder MapSluiceRealtime(this WebApplication app, string pattern = "/realtime")
    {
        app.UseSluiceMiddleware();
        return app.Map(pattern, RealtimeEndpoint.HandleAsync).WithMetadata(SluiceWebSocket.Endpoint);
    }

    /// <summary>
    /// The Supabase Realtime protocol: its WebSocket at <c>/realtime/v1/websocket</c> and <c>/socket/websocket</c>, and its
    /// broadcast API under <c>/realtime/v1/api/broadcast</c> (the paths supabase-js derives from the project URL).
    /// </summary>
    public static RouteGroupBuilder MapSluiceSupabase(this WebApplication app)
    {
        var group = app.SluiceGroup();
        foreach (var route in SupabaseEndpoint.Routes)
            group.Map(route, SupabaseEndpoint.HandleAsync).WithMetadata(SluiceWebSocket.Endpoint);
        group.MapPost(BroadcastEndpoint.SupabaseBase + BroadcastEndpoint.BatchRoute, BroadcastEndpoint.HandleBatchAsync);
        group.MapPost(BroadcastEndpoint.SupabaseBase + BroadcastEndpoint.SingleRoute, BroadcastEndpoint.HandleSingleAsync);
        return group;
    }

    /// <summary>The native HTTP API: a table's rows (<c>/api/tables/{name}/rows</c>) and broadcasts (<c>/api/broadcast</c>).</summary>
    public static RouteGroupBuilder MapSluiceHttpApi(this WebApplication app)
    {
        var group = app.SluiceGroup();
        group.MapGet(TableRowsEndpoint.Route, TableRowsEndpoint.HandleAsync);
        group.MapPost(BroadcastEndpoint.BatchRoute, BroadcastEndpoint.HandleBatchAsync);
        group.MapPost(BroadcastEndpoint.SingleRoute, BroadcastEndpoint.HandleSingleAsync);
        return group;
    }

    /// <summary>
    /// Health (<c>/health</c>, <c>/health/live</c>, <c>/health/ready</c>), stats (<c>/api/realtime/stats</c> and its history)
    /// and metrics (<c>/metrics</c>); stats and metrics need Sluice's admin token when one is configured.
    /// </summary>
    public static RouteGroupBuilder MapSluiceObservability(this WebApplication app) => app.SluiceGroup().MapObservability();

    /// <summary>
    /// The admin API (<c>/api/admin/tables</c>: list, enable, disable), which the dashboard and the CLI use: Sluice's admin
    /// token when configured, else loopback clients only (see <see cref="AdminAccess"/>) — whatever the app adds on top.
    /// </summary>
    public static RouteGroupBuilder MapSluiceAdmin(this WebApplication app) => app.SluiceGroup().MapAdminApi();

    /// <summary>The dashboard page at <c>/</c> (its data comes from the stats and admin endpoints, which keep their own protection).</summary>
    public static RouteHandlerBuilder MapSluiceDashboard(this WebApplication app) => app.MapDashboard();

    private static RouteGroupBuilder SluiceGroup(this WebApplication app)
    {
        app.UseSluiceMiddleware();
        return app.MapGroup("");
    }

    /// <summary>
    /// Once per app: coalesced writes for Sluice's WebSockets (frames a connection's writer drains together go out in one
    /// write, see <see cref="CoalescingStream"/>), the admin check (<see cref="AdminAccess"/>) and ASP.NET Core's WebSockets.
    /// </summary>
    private static void UseSluiceMiddleware(this WebApplication app)
    {
        var properties = ((IApplicationBuilder)app).Properties;
        if (properties.ContainsKey(MiddlewareAdded))
            return;
        properties[MiddlewareAdded] = true;
        app.Use(static (context, next) =>
        {
            if (context.GetEndpoint()?.Metadata.GetMetadata<SluiceWebSocket>() is not null
                && context.Features.Get<IHttpUpgradeFeature>() is { IsUpgradableRequest: true } upgrade)
                context.Features.Set<IHttpUpgradeFeature>(new CoalescingUpgradeFeature(upgrade));
            return next(context);
        });
        app.UseAdminAccess();
        app.UseWebSockets();
    }
}
