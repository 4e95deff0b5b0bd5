using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Sluice.Client.Serialization;
using Sluice.Protocol;

namespace Sluice.Client;

public sealed partial class SluiceClient
{
    private readonly HttpClient _http;

    /// <summary>
    /// Reads a table's current rows with <c>GET /api/tables/{schema}.{table}/rows</c> (the fallback when no WebSocket
    /// can be made). Throws <see cref="SluiceException"/> with the server's code (<c>table_not_found</c>,
    /// <c>realtime_not_enabled</c>, <c>invalid_filter</c>, …) when the server refuses.
    /// </summary>
    /// <param name="schema">The table's schema.</param>
    /// <param name="table">The table's name.</param>
    /// <param name="filter">A row filter, same syntax as for subscriptions; null for every row.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The rows as JSON objects keyed by column name.</returns>
    public async Task<IReadOnlyList<JsonElement>> GetRowsAsync(string schema, string table, string? filter = null, CancellationToken cancellationToken = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, RowsUri(new TableChannel(schema, table), filter));
        if (await AccessTokenAsync(cancellationToken).ConfigureAwait(false) is { Length: > 0 } token)
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            ErrorBody? error = null;
            try
            {
                error = await response.Content.ReadFromJsonAsync(ClientJsonContext.Default.ErrorBody, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is JsonException or NotSupportedException)
            {
                // Not a Sluice error body (a proxy's page, say): report the status.
            }
            throw new SluiceException(error?.Code ?? ClientErrorCodes.FallbackFailed,
                error?.Error ?? $"GET {request.RequestUri} answered {(int)response.StatusCode} {response.ReasonPhrase}");
        }
        var body = await response.Content.ReadFromJsonAsync(ClientJsonContext.Default.RowsResponse, cancellationToken).ConfigureAwait(false)
            ?? throw new SluiceException(ClientErrorCodes.FallbackFailed, "empty rows response");
        return body.Rows;
    }

    private Uri RowsUri(TableChannel table, string? filter)
    {
        var name = table.ToString()[TableChannel.Prefix.Length..];
        var relative = "api/tables/" + Uri.EscapeDataString(name) + "/rows";
        if (filter is not null)
            relative += "?filter=" + Uri.EscapeDataString(filter);
        return new Uri(HttpBase(), relative);
    }

    /// <summary>The server's HTTP root: configured, or the WebSocket URL with http(s) and without the <c>/realtime</c> path.</summary>
    private Uri HttpBase()
    {
        if (Options.HttpBaseAddress is { } configured)
            return configured.AbsolutePath.EndsWith('/') ? configured : new Uri(configured + "/");
        var builder = new UriBuilder(Url)
        {
            Scheme = Url.Scheme == "wss" ? "https" : "http",
            Query = "",
        };
        var path = builder.Path;
        if (path.EndsWith("/realtime", StringComparison.Ordinal))
            path = path[..^"realtime".Length];
        builder.Path = path.EndsWith('/') ? path : path + "/";
        return builder.Uri;
    }
}
