using System.CommandLine;
using Sluice.Server.Hosting;

namespace Sluice.Server.Cli;

/// <summary>
/// The switches of the server (the root command and <c>serve</c>): Sluice's own (<see cref="SluiceServerBuilder.SwitchMappings"/>),
/// each with its help text (default and unit; docs/configuration.md's table says the same), and the ASP.NET Core
/// host settings the server also takes. Any other ASP.NET Core setting passes as a configuration path,
/// <c>--Section:Key value</c>, which the parser leaves to the host.
/// </summary>
internal static class ServeSwitches
{
    /// <summary>Durations are written as [d.]hh:mm:ss[.fff], as .NET's TimeSpan.</summary>
    public static readonly IReadOnlyDictionary<string, string> Descriptions = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["--database"] = "PostgreSQL to serve: postgresql://user:password@host:5432/db, host=… user=… dbname=…, or Host=…;Username=…. "
            + "Needs wal_level=logical and a role with REPLICATION [env: SLUICE_DATABASE] (default: none, which starts an embedded PostgreSQL)",
        ["--slot"] = "Persistent logical replication slot Sluice owns, created when missing; one per Sluice server or cluster (default: sluice)",
        ["--publication"] = "Publication holding the realtime tables, created when missing (default: sluice)",
        ["--heartbeat-interval"] = "How often every connection gets a heartbeat frame (default: 00:00:30)",
        ["--max-message-bytes"] = "Largest client frame in bytes; a larger one closes the connection with 1009 (default: 65536)",
        ["--queue-frames"] = "Frames waiting for one connection before it is closed with 4008; live changes fill at most three quarters, past that the connection falls behind and catches up from the resume window once drained (default: 10000)",
        ["--queue-bytes"] = "Bytes waiting for one connection before it counts as a slow consumer and is closed with 4008 (default: 33554432, 32 MiB)",
        ["--send-timeout"] = "Longest one send may stay pending before the connection is closed with 4008 (default: 00:00:30)",
        ["--retention-changes"] = "Most changes kept in memory for resuming with since (default: 100000)",
        ["--retention-bytes"] = "Most bytes of changes kept in memory for resuming, estimated (default: 134217728, 128 MiB)",
        ["--retention-age"] = "Changes older than this, by commit time, leave the resume window (default: 00:10:00)",
        ["--wal-heartbeat-interval"] = "How often a WAL message is written so the slot advances while tables are quiet (default: 00:00:10)",
        ["--data-dir"] = "Data folder of the embedded PostgreSQL; one running server per folder "
            + "(default: ~/.local/share/sluice/postgres, or /var/lib/sluice/postgres as root)",
        ["--demo-table"] = "true or false: create and realtime-enable public.products in the embedded database (default: true)",
        ["--inline-scheduling"] = "true or false: run socket continuations on Kestrel's I/O threads; fewer thread hops, but one busy "
            + "connection can delay others (default: false)",
        ["--jwt-secret"] = "HS256 secret for client tokens, at least 32 bytes of UTF-8 [env: SLUICE_JWT_SECRET] (default: none)",
        ["--jwks"] = "RS256/ES256 keys for client tokens: a JWKS file path or an https:// URL (default: none)",
        ["--jwt-issuer"] = "Required iss claim of client tokens (default: not checked)",
        ["--jwt-audience"] = "Required aud claim of client tokens (default: not checked)",
        ["--jwt-clock-skew"] = "Tolerance for exp and nbf, 0 to 10 minutes (default: 00:00:30)",
        ["--allow-anonymous"] = "true or false: accept connections without a token, as --anonymous-role (default: true)",
        ["--anonymous-role"] = "Database role of connections without a token, for row-level security (default: anon)",
        ["--authenticated-role"] = "Database role of tokens without a role claim (default: authenticated)",
        ["--role-claim"] = "Top-level token claim naming the database role (default: role)",
        ["--admin-token"] = "Bearer token the admin API, dashboard, stats and metrics require [env: SLUICE_ADMIN_TOKEN] "
            + "(default: none: admin API from loopback only, stats and metrics open)",
        ["--max-channels"] = "Channels one connection may subscribe to; more get too_many_channels (default: 100)",
        ["--messages-per-second"] = "Client frames per second one connection may send on average; more get rate_limited (default: 100)",
        ["--message-burst"] = "Client frames one connection may send at once before the rate applies (default: 200)",
        ["--refused-messages-before-close"] = "Rate-limited frames tolerated before the connection is closed with 4029 (default: 200)",
        ["--max-connections-per-ip"] = "Open WebSocket connections per client IP address; more are refused with 1013 (default: 1000)",
        ["--redis"] = "Redis for cluster mode, e.g. localhost:6379: several servers share one database [env: SLUICE_REDIS] (default: none, single node)",
        ["--node-id"] = "This node's name in stats and presence, cluster mode (default: host name, process id and a random suffix)",
        ["--leader-poll-interval"] = "How often cluster nodes try to take capture over, and the leader checks it still holds it (default: 00:00:01)",
        ["--node-timeout"] = "A cluster node silent this long counts as dead and its room presence leaves (default: 00:00:10)",
        ["--leader-step-down-after"] = "A cluster leader that cannot write to Redis this long gives capture up (default: 00:00:05)",
        ["--max-record-bytes"] = "Largest change in bytes a native client gets whole; larger ones arrive reduced to key columns and small "
            + "values, marked too_large (default: 1048576, 1 MiB)",
        ["--supabase-max-record-bytes"] = "Largest record in bytes a Supabase client gets whole; larger ones get Error 413 (default: 1048576, 1 MiB)",
        ["--supabase-idle-timeout"] = "A Supabase (Phoenix) socket that receives nothing this long is closed (default: 00:01:00)",
    };

    /// <summary>ASP.NET Core host settings shown in the help (the host reads them itself).</summary>
    public static readonly IReadOnlyDictionary<string, string> HostSettings = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["--urls"] = "Addresses to listen on, separated by ';'. Port 8080 in use? Choose another: --urls http://localhost:8090 (default: http://localhost:8080)",
        ["--environment"] = "ASP.NET Core environment name, which picks appsettings.{name}.json (default: Production)",
        ["--contentRoot"] = "Folder appsettings.json is read from (default: the current folder)",
    };

    /// <summary>The help's closing paragraph for the server's commands.</summary>
    public const string Epilog = """
        Every switch is also a setting: appsettings.json (section "Sluice") or environment variables (Sluice__SlotName=…).
        Durations are [d.]hh:mm:ss. Any other ASP.NET Core setting passes as a configuration path, --Section:Key value
        (e.g. --Logging:LogLevel:Default Warning, --Kestrel:Limits:MaxConcurrentConnections 1000). Port 8080 in use?
        Choose another with --urls http://localhost:8090. Exit codes: 1 the database or the port failed, 2 bad switches or settings.
        """;

    /// <summary>Adds every server switch to <paramref name="command"/>.</summary>
    public static void AddTo(Command command)
    {
        foreach (var name in SluiceServerBuilder.SwitchMappings.Keys)
            command.Add(new Option<string>(name) { Description = Descriptions[name], HelpName = "value" });
        foreach (var (name, description) in HostSettings)
            command.Add(new Option<string>(name) { Description = description, HelpName = "value" });
    }

    /// <summary>
    /// The tokens the parser should see: <paramref name="args"/> without ASP.NET Core configuration paths
    /// (<c>--Section:Key value</c> or <c>--Section:Key=value</c>), which the host reads from the full arguments.
    /// </summary>
    public static string[] WithoutConfigurationPaths(IReadOnlyList<string> args)
    {
        var kept = new List<string>(args.Count);
        for (var i = 0; i < args.Count; i++)
        {
            if (IsConfigurationPath(args[i]))
            {
                if (!args[i].Contains('=', StringComparison.Ordinal))
                    i++; // its value
                continue;
            }
            kept.Add(args[i]);
        }
        return [.. kept];
    }

    private static bool IsConfigurationPath(string token)
    {
        if (!token.StartsWith("--", StringComparison.Ordinal) || token.Length < 3)
            return false;
        var name = token.AsSpan(2);
        var equals = name.IndexOf('=');
        if (equals >= 0)
            name = name[..equals];
        var colon = name.IndexOf(':');
        return colon > 0 && colon < name.Length - 1;
    }
}
