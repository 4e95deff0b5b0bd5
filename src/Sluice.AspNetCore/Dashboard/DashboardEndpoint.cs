namespace Sluice.Server.Dashboard;

/// <summary>
/// The operator dashboard at <c>/</c>: one self-contained HTML page (styles and script inline, nothing from a CDN)
/// embedded in the server. It polls <c>/api/realtime/stats</c>, lists tables through the admin API and inspects a
/// channel over <c>/realtime</c> with the native protocol.
/// </summary>
internal static class DashboardEndpoint
{
    private const string ResourceName = "Sluice.Server.Dashboard.index.html";

    private static readonly Lazy<byte[]> Page = new(static () =>
    {
        using var stream = typeof(DashboardEndpoint).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"the dashboard resource {ResourceName} is missing from the build");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    });

    /// <summary>The dashboard page at <c>/</c> (its data comes from the stats and admin endpoints, which keep their own protection).</summary>
    public static RouteHandlerBuilder MapDashboard(this IEndpointRouteBuilder endpoints) =>
        endpoints.MapGet("/", static (HttpContext context) =>
        {
            var headers = context.Response.Headers;
            headers.CacheControl = "no-cache";
            headers["X-Content-Type-Options"] = "nosniff";
            headers["Referrer-Policy"] = "no-referrer";
            // Everything the page needs comes from this server: no CDN, works offline.
            headers.ContentSecurityPolicy = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:; connect-src 'self' ws: wss:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";
            return TypedResults.Bytes(Page.Value, "text/html; charset=utf-8");
        });
}
