using System.Globalization;
using System.Text;

namespace Sluice.Server.Embedded;

/// <summary>The settings every start passes to the postmaster, so a reused cluster gets them too.</summary>
internal static class ServerSettings
{
    // sun_path holds 107 bytes; the socket file ".s.PGSQL.65535" and its separator need 15 of them.
    private const int MaxSocketDirectoryLength = 90;

    public static IReadOnlyList<KeyValuePair<string, string>> For(
        string dataDirectory, int port, bool durable, IReadOnlyDictionary<string, string>? overrides = null)
    {
        var settings = new List<KeyValuePair<string, string>>
        {
            new("port", port.ToString(CultureInfo.InvariantCulture)),
            new("listen_addresses", "127.0.0.1"),
            new("unix_socket_directories", SocketDirectory(dataDirectory)),
            new("wal_level", "logical"),
            new("max_replication_slots", "32"),
            new("max_wal_senders", "32"),
            new("max_connections", "300"),
        };
        if (!durable)
        {
            // synchronous_commit stays on: with fsync off it costs nothing, while off would hold every change
            // back from the walsender for up to wal_writer_delay.
            settings.Add(new("fsync", "off"));
            settings.Add(new("full_page_writes", "off"));
        }

        foreach (var (name, value) in overrides ?? new Dictionary<string, string>())
        {
            settings.RemoveAll(setting => setting.Key == name);
            settings.Add(new(name, value));
        }

        return settings;
    }

    /// <summary>The value of <c>pg_ctl -o</c>, which pg_ctl hands to a shell.</summary>
    public static string ToPostmasterOptions(IReadOnlyList<KeyValuePair<string, string>> settings)
    {
        var options = new StringBuilder();
        foreach (var (name, value) in settings)
        {
            options.Append(options.Length == 0 ? "" : " ").Append("-c ").Append(ShellQuote(name + "=" + value));
        }

        return options.ToString();
    }

    /// <summary>
    /// The socket lives in the data directory (never /var/run/postgresql) when its path fits a socket
    /// address and needs no quoting in a directory list; otherwise unix sockets are off and clients use TCP.
    /// </summary>
    private static string SocketDirectory(string dataDirectory) =>
        dataDirectory.Length <= MaxSocketDirectoryLength && dataDirectory.AsSpan().IndexOfAny(",\"'\\ \t") < 0
            ? dataDirectory
            : "";

    private static string ShellQuote(string value) => "'" + value.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
}
