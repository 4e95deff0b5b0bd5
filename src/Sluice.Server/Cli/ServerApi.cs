using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text.Json;

namespace Sluice.Server.Cli;

/// <summary>The HTTP side of a running Sluice server, for the client commands; turns failures into clear <see cref="CliException"/>s.</summary>
internal sealed class ServerApi : IDisposable
{
    private readonly HttpClient _http;

    public ServerApi(Uri server, string? adminToken)
    {
        Server = server;
        _http = new HttpClient { BaseAddress = server, Timeout = TimeSpan.FromSeconds(30) };
        if (!string.IsNullOrEmpty(adminToken))
            _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", adminToken);
    }

    public Uri Server { get; }

    public Task<JsonElement> GetAsync(string path, CancellationToken cancellationToken) => SendAsync(HttpMethod.Get, path, cancellationToken);

    public Task<JsonElement> PostAsync(string path, CancellationToken cancellationToken) => SendAsync(HttpMethod.Post, path, cancellationToken);

    /// <summary>The status code only (for <c>/health/ready</c>); null when the server cannot be reached.</summary>
    public async Task<HttpStatusCode?> StatusOfAsync(string path, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await _http.GetAsync(path, cancellationToken);
            return response.StatusCode;
        }
        catch (HttpRequestException)
        {
            return null;
        }
    }

    private async Task<JsonElement> SendAsync(HttpMethod method, string path, CancellationToken cancellationToken)
    {
        HttpResponseMessage response;
        try
        {
            using var request = new HttpRequestMessage(method, path);
            // The admin API refuses state changes a web page could send cross-site ("simple" requests): say it is JSON.
            if (method == HttpMethod.Post)
                request.Content = new StringContent("{}", System.Text.Encoding.UTF8, "application/json");
            response = await _http.SendAsync(request, cancellationToken);
        }
        catch (HttpRequestException ex)
        {
            throw Unreachable(Server, ex);
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new CliException($"The Sluice server at {Server} did not answer within 30 s.", CliExitCodes.Unreachable);
        }

        using (response)
        {
            var text = await response.Content.ReadAsStringAsync(cancellationToken);
            JsonElement body;
            try
            {
                body = JsonDocument.Parse(text.Length == 0 ? "{}" : text).RootElement.Clone();
            }
            catch (JsonException)
            {
                throw new CliException($"{Server} answered {(int)response.StatusCode} with something that is not Sluice's JSON; is --server pointing at a Sluice server?");
            }
            if (response.IsSuccessStatusCode)
                return body;

            var code = body.TryGetProperty("code", out var c) ? c.GetString() : null;
            var error = body.TryGetProperty("error", out var e) ? e.GetString() : response.ReasonPhrase;
            throw response.StatusCode switch
            {
                HttpStatusCode.Unauthorized => new CliException($"Unauthorized: {error} Pass --admin-token or set SLUICE_ADMIN_TOKEN.", CliExitCodes.Unauthorized),
                HttpStatusCode.Forbidden => new CliException($"Forbidden: {error}", CliExitCodes.Unauthorized),
                HttpStatusCode.ServiceUnavailable when code == Sluice.Protocol.ErrorCodes.DatabaseUnavailable =>
                    new CliException($"The server at {Server} cannot reach its PostgreSQL database: {error}", CliExitCodes.DatabaseUnavailable),
                HttpStatusCode.NotFound when code is null => new CliException($"{Server} has no {path}: is it a Sluice server of this version?"),
                _ => new CliException($"{(code is null ? "" : code + ": ")}{error}"),
            };
        }
    }

    public static CliException Unreachable(Uri server, Exception ex)
    {
        var reason = ex.InnerException is SocketException socket ? socket.SocketErrorCode switch
        {
            SocketError.ConnectionRefused => "connection refused",
            SocketError.HostNotFound or SocketError.NoData => "host not found",
            SocketError.TimedOut => "timed out",
            _ => socket.Message,
        } : ex.Message;
        return new CliException($"Cannot reach the Sluice server at {server} ({reason}). Is it running? Point to it with --server or SLUICE_URL.", CliExitCodes.Unreachable);
    }

    public void Dispose() => _http.Dispose();
}
