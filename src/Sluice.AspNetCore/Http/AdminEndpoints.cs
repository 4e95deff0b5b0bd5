using Microsoft.Extensions.Options;
using Npgsql;
using Sluice.Protocol;
using Sluice.Server.Hosting;

namespace Sluice.Server.Http;

/// <summary>
/// The admin API behind the dashboard and the CLI: list tables, enable and disable realtime on one
/// (the same <c>enable_realtime</c>/<c>disable_realtime</c> functions users call from SQL, run as Sluice's role).
/// Guarded by <see cref="AdminAccess"/> (<see cref="AdminAccess.RequireAdmin{TBuilder}"/>).
/// </summary>
internal static partial class AdminEndpoints
{
    private const string TablesSql = """
        SELECT n.nspname, c.relname,
               EXISTS (SELECT 1 FROM pg_catalog.pg_publication_rel pr JOIN pg_catalog.pg_publication p ON p.oid = pr.prpubid
                       WHERE p.pubname = $1 AND pr.prrelid = c.oid),
               CASE c.relreplident WHEN 'f' THEN 'full' WHEN 'd' THEN 'default' WHEN 'i' THEN 'index' ELSE 'nothing' END
        FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition
          AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'sluice') AND n.nspname NOT LIKE 'pg\_%'
        ORDER BY 1, 2
        """;

    /// <summary>The admin API under <c>/api/admin</c>; refused unless <see cref="AdminAccess"/> allows the request.</summary>
    public static RouteGroupBuilder MapAdminApi(this RouteGroupBuilder group)
    {
        group.MapGet("/api/admin/tables", ListAsync).RequireAdmin();
        group.MapPost("/api/admin/tables/{name}/enable", (string name, HttpContext context, NpgsqlDataSource dataSource, ILoggerFactory loggers)
            => SetAsync(name, enable: true, context, dataSource, loggers)).RequireAdmin();
        group.MapPost("/api/admin/tables/{name}/disable", (string name, HttpContext context, NpgsqlDataSource dataSource, ILoggerFactory loggers)
            => SetAsync(name, enable: false, context, dataSource, loggers)).RequireAdmin();
        return group;
    }

    private static async Task ListAsync(HttpContext context, NpgsqlDataSource dataSource, IOptions<SluiceOptions> options, ILoggerFactory loggers)
    {
        var tables = new List<AdminTable>();
        try
        {
            await using var command = dataSource.CreateCommand(TablesSql);
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = options.Value.PublicationName });
            await using var reader = await command.ExecuteReaderAsync(context.RequestAborted);
            while (await reader.ReadAsync(context.RequestAborted))
                tables.Add(new AdminTable(reader.GetString(0), reader.GetString(1), reader.GetBoolean(2), reader.GetString(3)));
        }
        catch (NpgsqlException ex)
        {
            LogDatabaseError(loggers.CreateLogger(typeof(AdminEndpoints)), ex);
            await FailAsync(context, StatusCodes.Status503ServiceUnavailable, new ErrorResponse("the database could not be queried; try again", ErrorCodes.DatabaseUnavailable));
            return;
        }
        await context.Response.WriteAsJsonAsync(new AdminTablesResponse(tables), ServerJsonContext.Default.AdminTablesResponse, cancellationToken: context.RequestAborted);
    }

    private static async Task SetAsync(string name, bool enable, HttpContext context, NpgsqlDataSource dataSource, ILoggerFactory loggers)
    {
        if (!TableChannel.TryParse(TableChannel.Prefix + name, out var table, out var channelError))
        {
            await FailAsync(context, StatusCodes.Status400BadRequest, new ErrorResponse(channelError, ErrorCodes.InvalidChannel));
            return;
        }
        if (IsReservedSchema(table.Schema))
        {
            await FailAsync(context, StatusCodes.Status403Forbidden,
                new ErrorResponse($"the tables of schema {table.Schema} belong to Sluice or PostgreSQL and never stream", ErrorCodes.Forbidden));
            return;
        }
        var logger = loggers.CreateLogger(typeof(AdminEndpoints));
        try
        {
            await using var command = dataSource.CreateCommand(enable ? "SELECT public.enable_realtime($1, $2)" : "SELECT public.disable_realtime($1, $2)");
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = table.Schema });
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = table.Table });
            await command.ExecuteNonQueryAsync(context.RequestAborted);
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.UndefinedTable)
        {
            await FailAsync(context, StatusCodes.Status404NotFound, new ErrorResponse($"table {table.Schema}.{table.Table} does not exist", ErrorCodes.TableNotFound));
            return;
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.InsufficientPrivilege)
        {
            await FailAsync(context, StatusCodes.Status403Forbidden, new ErrorResponse(ex.MessageText, ErrorCodes.Unauthorized));
            return;
        }
        catch (NpgsqlException ex)
        {
            LogDatabaseError(logger, ex);
            await FailAsync(context, StatusCodes.Status503ServiceUnavailable, new ErrorResponse("the database could not be queried; try again", ErrorCodes.DatabaseUnavailable));
            return;
        }
        LogToggled(logger, table.Schema, table.Table, enable ? "enabled" : "disabled");
        await context.Response.WriteAsJsonAsync(new AdminTable(table.Schema, table.Table, enable, enable ? "full" : "unchanged"),
            ServerJsonContext.Default.AdminTable, cancellationToken: context.RequestAborted);
    }

    /// <summary>Sluice's own schema and PostgreSQL's (also refused by <c>enable_realtime</c> itself).</summary>
    private static bool IsReservedSchema(string schema) =>
        schema is "sluice" or "information_schema" || schema.StartsWith("pg_", StringComparison.Ordinal);

    private static Task FailAsync(HttpContext context, int status, ErrorResponse error)
    {
        context.Response.StatusCode = status;
        return context.Response.WriteAsJsonAsync(error, ServerJsonContext.Default.ErrorResponse);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Admin API: the database could not be queried")]
    private static partial void LogDatabaseError(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "Admin API: realtime {Action} on {Schema}.{Table}")]
    private static partial void LogToggled(ILogger logger, string schema, string table, string action);
}
