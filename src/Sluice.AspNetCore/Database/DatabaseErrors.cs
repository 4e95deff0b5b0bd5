using System.Net.Sockets;
using Npgsql;

namespace Sluice.Server.Database;

/// <summary>Database failures as one line for people: what PostgreSQL said, or why it could not be reached. Never the connection string.</summary>
internal static class DatabaseErrors
{
    public static string OneLine(Exception exception) => exception switch
    {
        // Message would add "DETAIL: Detail redacted…" lines; the SQLSTATE and the primary text say it.
        PostgresException postgres => $"{postgres.SqlState}: {postgres.MessageText}",
        NpgsqlException { InnerException: SocketException socket } => $"{FirstLine(exception.Message)} ({socket.Message})",
        NpgsqlException { InnerException: TimeoutException } => $"{FirstLine(exception.Message)} (timed out)",
        _ => FirstLine(exception.Message),
    };

    private static string FirstLine(string text) => text.Split('\n')[0].Trim();
}
