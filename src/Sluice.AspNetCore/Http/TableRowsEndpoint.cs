using Npgsql;
using Sluice.Protocol;
using Sluice.Server.Auth;
using Sluice.Server.Database;
using Sluice.Server.Filters;
using Sluice.Server.RowSecurity;
using Sluice.Server.Snapshots;

namespace Sluice.Server.Http;

/// <summary>
/// <c>GET /api/tables/{schema}.{table}/rows[?filter=…]</c>: the table's current rows as
/// <c>{"schema":…,"table":…,"rows":[…]}</c>, read like a subscription's snapshot (same reader, same filter syntax,
/// same error codes). Clients that cannot hold a WebSocket poll it to stay fresh. Authenticated like <c>/realtime</c>
/// (<c>Authorization: Bearer</c> or <c>?token=</c>); a refused token gets 401 (503 when the signing keys are unavailable).
/// </summary>
internal static partial class TableRowsEndpoint
{
    public const string Route = "/api/tables/{name}/rows";

    public static async Task HandleAsync(string name, HttpContext context, TableAccessResolver tables, SnapshotReader snapshots, TokenValidator tokens, ILoggerFactory loggers)
    {
        var cancellationToken = context.RequestAborted;
        var authentication = RequestToken.TryRead(context.Request, out var token, out var tokenError)
            ? await tokens.AuthenticateAsync(token, cancellationToken)
            : tokenError!;
        if (!authentication.Succeeded)
        {
            var unavailable = authentication.ErrorCode == ErrorCodes.AuthUnavailable;
            if (!unavailable)
                context.Response.Headers.WWWAuthenticate = "Bearer";
            await FailAsync(context, unavailable ? StatusCodes.Status503ServiceUnavailable : StatusCodes.Status401Unauthorized,
                authentication.ErrorCode, authentication.ErrorMessage);
            return;
        }
        if (!TableChannel.TryParse(TableChannel.Prefix + name, out var table, out var channelError))
        {
            await FailAsync(context, StatusCodes.Status400BadRequest, ErrorCodes.InvalidChannel, channelError);
            return;
        }

        var identity = authentication.Identity!;
        TableLookup lookup;
        AccessDecision decision;
        try
        {
            // Lookup and access decision about one relation, even when the table is replaced meanwhile (see TableAccessResolver).
            (lookup, decision) = await tables.ResolveAsync(table.Schema, table.Table, identity, cancellationToken);
        }
        catch (Exception ex) when (ex is NpgsqlException or AccessCheckUnavailableException)
        {
            LogDatabaseError(loggers.CreateLogger(typeof(TableRowsEndpoint)), ex);
            await FailAsync(context, StatusCodes.Status503ServiceUnavailable, ErrorCodes.DatabaseUnavailable, "the database could not be queried; try again");
            return;
        }
        if (lookup.Table is null)
        {
            await FailAsync(context, StatusCodes.Status404NotFound, ErrorCodes.TableNotFound, $"table {table.Schema}.{table.Table} does not exist");
            return;
        }
        if (!lookup.RealtimeEnabled)
        {
            await FailAsync(context, StatusCodes.Status404NotFound, ErrorCodes.RealtimeNotEnabled,
                $"realtime is not enabled for {table.Schema}.{table.Table}; run SELECT enable_realtime('{table.Schema}', '{table.Table}')");
            return;
        }

        RowFilter? filter = null;
        var filterText = context.Request.Query["filter"].ToString();
        if (filterText.Length > 0 && !RowFilter.TryParse(filterText, lookup.Table, out filter, out var filterError))
        {
            await FailAsync(context, StatusCodes.Status400BadRequest, ErrorCodes.InvalidFilter, filterError);
            return;
        }

        if (!decision.Allowed)
        {
            await FailAsync(context, StatusCodes.Status403Forbidden, ErrorCodes.Forbidden, decision.Refusal!);
            return;
        }

        var body = new RowsBodyWriter(context.Response, table);
        try
        {
            // Whole rows, whatever their size: this is how clients read the rows a subscription received reduced. The body is
            // streamed chunk by chunk, so a request holds at most one chunk (or one huge row) in memory.
            var snapshot = await snapshots.ReadAsync(lookup.Table, filter, decision.AssumeRole ? identity : null, maxRecordBytes: null,
                body.WriteChunkAsync, cancellationToken);
            await body.WriteChunkAsync(snapshot.FinalChunk, cancellationToken);
            await body.CompleteAsync(cancellationToken);
        }
        catch (AccessCheckFailedException ex) when (!context.Response.HasStarted)
        {
            // The policy raised for these claims: the same code as live changes and snapshots, not a "try again".
            LogAccessCheckFailed(loggers.CreateLogger(typeof(TableRowsEndpoint)), ex.SqlState, ex.Reason);
            await FailAsync(context, StatusCodes.Status403Forbidden, ErrorCodes.AccessCheckFailed, ex.Message);
        }
        catch (Exception ex) when (ex is NpgsqlException or AccessCheckUnavailableException && !context.Response.HasStarted)
        {
            LogDatabaseError(loggers.CreateLogger(typeof(TableRowsEndpoint)), ex);
            await FailAsync(context, StatusCodes.Status503ServiceUnavailable, ErrorCodes.DatabaseUnavailable, "the database could not be queried; try again");
        }
    }

    private static Task FailAsync(HttpContext context, int status, string code, string message)
    {
        context.Response.StatusCode = status;
        return context.Response.WriteAsJsonAsync(new ErrorResponse(message, code), ServerJsonContext.Default.ErrorResponse);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reading table rows over HTTP as the token's role failed ({SqlState}: {Reason}); answered access_check_failed")]
    private static partial void LogAccessCheckFailed(ILogger logger, string sqlState, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reading table rows over HTTP failed: the database could not be queried")]
    private static partial void LogDatabaseError(ILogger logger, Exception exception);
}
