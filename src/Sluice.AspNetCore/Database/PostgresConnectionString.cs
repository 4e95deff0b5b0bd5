using System.Globalization;
using System.Text;
using Npgsql;

namespace Sluice.Server.Database;

/// <summary>
/// The database address in any of the three forms people paste: an Npgsql keyword string (<c>Host=…;Username=…</c>),
/// a libpq URI (<c>postgresql://user:password@host:5432/db?sslmode=require</c>, also <c>postgres://</c>), or a libpq
/// keyword/value string (<c>host=… port=… user=… dbname=…</c>, values in single quotes with <c>\'</c> and <c>\\</c>
/// escapes). All become one <see cref="NpgsqlConnectionStringBuilder"/>. The grammar follows libpq's documented one
/// (and its parser's details: multiple hosts, bracketed IPv6, percent-decoding, query parameters overriding the URI's
/// parts). Errors name the parameter, never a value, so a password cannot leak into a log.
/// </summary>
internal static class PostgresConnectionString
{
    private static readonly string[] UriSchemes = ["postgresql://", "postgres://"];

    /// <summary>libpq parameters that have an Npgsql counterpart, and how each is applied.</summary>
    private static readonly Dictionary<string, Action<NpgsqlConnectionStringBuilder, string>> Supported = new(StringComparer.Ordinal)
    {
        ["host"] = static (_, _) => { }, // hosts and ports are combined at the end
        ["port"] = static (_, _) => { },
        ["dbname"] = static (b, v) => b.Database = v,
        ["user"] = static (b, v) => b.Username = v,
        ["password"] = static (b, v) => b.Password = v,
        ["passfile"] = static (b, v) => b.Passfile = v,
        ["connect_timeout"] = static (b, v) => b.Timeout = Integer("connect_timeout", v, 0, 1024),
        ["application_name"] = static (b, v) => b.ApplicationName = v,
        ["fallback_application_name"] = static (b, v) => b.ApplicationName ??= v,
        ["options"] = static (b, v) => b.Options = v,
        ["client_encoding"] = static (b, v) => b.ClientEncoding = v,
        ["sslmode"] = static (b, v) => b.SslMode = OneOf("sslmode", v, new Dictionary<string, SslMode>
        {
            ["disable"] = SslMode.Disable, ["allow"] = SslMode.Allow, ["prefer"] = SslMode.Prefer,
            ["require"] = SslMode.Require, ["verify-ca"] = SslMode.VerifyCA, ["verify-full"] = SslMode.VerifyFull,
        }),
        ["sslcert"] = static (b, v) => b.SslCertificate = v,
        ["sslkey"] = static (b, v) => b.SslKey = v,
        ["sslrootcert"] = static (b, v) => b.RootCertificate = v,
        ["sslpassword"] = static (b, v) => b.SslPassword = v,
        ["sslnegotiation"] = static (b, v) => b.SslNegotiation = OneOf("sslnegotiation", v, new Dictionary<string, SslNegotiation>
        {
            ["postgres"] = SslNegotiation.Postgres, ["direct"] = SslNegotiation.Direct,
        }),
        ["channel_binding"] = static (b, v) => b.ChannelBinding = OneOf("channel_binding", v, new Dictionary<string, ChannelBinding>
        {
            ["disable"] = ChannelBinding.Disable, ["prefer"] = ChannelBinding.Prefer, ["require"] = ChannelBinding.Require,
        }),
        ["gssencmode"] = static (b, v) => b.GssEncryptionMode = OneOf("gssencmode", v, new Dictionary<string, GssEncryptionMode>
        {
            ["disable"] = GssEncryptionMode.Disable, ["prefer"] = GssEncryptionMode.Prefer, ["require"] = GssEncryptionMode.Require,
        }),
        ["krbsrvname"] = static (b, v) => b.KerberosServiceName = v,
        ["require_auth"] = static (b, v) => b.RequireAuth = v,
        ["target_session_attrs"] = static (b, v) => b.TargetSessionAttributes = OneOf("target_session_attrs", v, new Dictionary<string, string>
        {
            ["any"] = "any", ["read-write"] = "read-write", ["read-only"] = "read-only",
            ["primary"] = "primary", ["standby"] = "standby", ["prefer-standby"] = "prefer-standby",
        }),
        ["load_balance_hosts"] = static (b, v) => b.LoadBalanceHosts = OneOf("load_balance_hosts", v, new Dictionary<string, bool>
        {
            ["disable"] = false, ["random"] = true,
        }),
        ["keepalives"] = static (b, v) => b.TcpKeepAlive = Integer("keepalives", v, 0, int.MaxValue) != 0,
        ["keepalives_idle"] = static (b, v) => b.TcpKeepAliveTime = Integer("keepalives_idle", v, 0, int.MaxValue),
        ["keepalives_interval"] = static (b, v) => b.TcpKeepAliveInterval = Integer("keepalives_interval", v, 0, int.MaxValue),
    };

    /// <summary>libpq parameters Npgsql cannot honour: refused by name rather than silently ignored.</summary>
    private static readonly HashSet<string> Unsupported = new(StringComparer.Ordinal)
    {
        "hostaddr", "service", "keepalives_count", "tcp_user_timeout", "replication", "sslcompression", "sslcrl", "sslcrldir",
        "sslsni", "sslcertmode", "ssl_min_protocol_version", "ssl_max_protocol_version", "min_protocol_version",
        "max_protocol_version", "requirepeer", "gsslib", "gssdelegation", "scram_client_key", "scram_server_key",
        "oauth_issuer", "oauth_client_id", "oauth_client_secret", "oauth_scope", "servicefile",
    };

    /// <summary>Parses any of the three forms.</summary>
    /// <exception cref="FormatException">The text is not a connection string, or names an unknown or unsupported parameter; the message names it.</exception>
    public static NpgsqlConnectionStringBuilder Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var trimmed = text.Trim();
        if (trimmed.Length == 0)
            throw new FormatException("The database connection string is empty.");
        if (UriSchemes.FirstOrDefault(scheme => trimmed.StartsWith(scheme, StringComparison.OrdinalIgnoreCase)) is { } prefix)
            return FromLibpq(ParseUri(trimmed[prefix.Length..]), "URI");
        if (LooksLikeLibpqKeywords(trimmed))
            return FromLibpq(ParseKeywords(trimmed), "connection string");
        return ParseNpgsql(trimmed);
    }

    /// <summary>
    /// The libpq URI of a server: <c>postgresql://user:password@host:port/database</c>, every part percent-encoded
    /// where it needs it, and an IPv6 address in brackets. Accepted by psql and by any PostgreSQL driver.
    /// </summary>
    public static string ToUri(string host, int port, string username, string password, string database)
    {
        var hostPart = host.Contains(':', StringComparison.Ordinal) ? "[" + host + "]" : Uri.EscapeDataString(host);
        return $"postgresql://{Uri.EscapeDataString(username)}:{Uri.EscapeDataString(password)}@{hostPart}:{port.ToString(CultureInfo.InvariantCulture)}/{Uri.EscapeDataString(database)}";
    }

    /// <summary>Npgsql's own form. Its errors are rephrased: they can quote a value, and a mistyped string can put a password where a keyword goes.</summary>
    private static NpgsqlConnectionStringBuilder ParseNpgsql(string text)
    {
        try
        {
            return new NpgsqlConnectionStringBuilder(text);
        }
        catch (Exception ex) when (ex is ArgumentException or KeyNotFoundException or FormatException or InvalidCastException or OverflowException)
        {
            throw new FormatException(
                $"The database connection string is not valid: {NpgsqlProblem(text)}. "
                + "Use postgresql://user:password@host:5432/db, host=… user=… dbname=…, or Host=…;Username=…;Database=….");
        }
    }

    /// <summary>Which keyword of an Npgsql string Npgsql refused (named only when it looks like a keyword).</summary>
    private static string NpgsqlProblem(string text)
    {
        var pairs = new System.Data.Common.DbConnectionStringBuilder();
        try
        {
            pairs.ConnectionString = text;
        }
        catch (ArgumentException)
        {
            return "it is not a list of keyword=value pairs separated by ';'";
        }
        var probe = new NpgsqlConnectionStringBuilder();
        foreach (string keyword in pairs.Keys)
        {
            try
            {
                probe[keyword] = pairs[keyword];
            }
            catch (Exception ex) when (ex is ArgumentException or KeyNotFoundException or FormatException or InvalidCastException or OverflowException)
            {
                var named = keyword.Length is > 0 and <= 40 && keyword.All(static c => char.IsAsciiLetter(c) || c == ' ') ? $"\"{keyword}\"" : "a keyword";
                return $"{named} is not an Npgsql keyword, or its value is not valid";
            }
        }
        return "Npgsql cannot read it";
    }

    /// <summary>libpq keyword/value form: it starts with a lowercase libpq keyword and has no ';' outside quotes (which would make it Npgsql's).</summary>
    private static bool LooksLikeLibpqKeywords(string text)
    {
        var equals = text.IndexOf('=', StringComparison.Ordinal);
        if (equals <= 0)
            return false;
        var keyword = text[..equals].Trim();
        if (!Supported.ContainsKey(keyword) && !Unsupported.Contains(keyword))
            return false;
        var quoted = false;
        for (var i = 0; i < text.Length; i++)
        {
            switch (text[i])
            {
                case '\\':
                    i++;
                    break;
                case '\'':
                    quoted = !quoted;
                    break;
                case ';' when !quoted:
                    return false;
            }
        }
        return true;
    }

    /// <summary>libpq's keyword/value grammar: <c>key = value</c> pairs separated by whitespace; values may be single-quoted; backslash escapes the next character.</summary>
    private static List<KeyValuePair<string, string>> ParseKeywords(string text)
    {
        var pairs = new List<KeyValuePair<string, string>>();
        var position = 0;
        while (true)
        {
            SkipWhitespace(text, ref position);
            if (position >= text.Length)
                return pairs;
            var nameStart = position;
            while (position < text.Length && text[position] != '=' && !char.IsWhiteSpace(text[position]))
                position++;
            var name = text[nameStart..position];
            SkipWhitespace(text, ref position);
            if (position >= text.Length || text[position] != '=')
                throw new FormatException(pairs.Count == 0
                    ? "The database connection string does not start with a parameter name and \"=\"."
                    : $"The database connection string has a word without \"=\" after the value of {Printable(pairs[^1].Key)}.");
            position++;
            SkipWhitespace(text, ref position);

            var value = new StringBuilder();
            if (position < text.Length && text[position] == '\'')
            {
                position++;
                while (true)
                {
                    if (position >= text.Length)
                        throw new FormatException($"The value of {Printable(name)} in the database connection string has no closing quote.");
                    var c = text[position++];
                    if (c == '\\')
                    {
                        if (position < text.Length)
                            value.Append(text[position++]);
                    }
                    else if (c == '\'')
                    {
                        break;
                    }
                    else
                    {
                        value.Append(c);
                    }
                }
            }
            else
            {
                while (position < text.Length && !char.IsWhiteSpace(text[position]))
                {
                    var c = text[position++];
                    if (c == '\\')
                    {
                        if (position < text.Length)
                            value.Append(text[position++]);
                    }
                    else
                    {
                        value.Append(c);
                    }
                }
            }
            pairs.Add(new(name, value.ToString()));
        }
    }

    /// <summary>
    /// libpq's URI grammar after the scheme: <c>[user[:password]@][host][:port][,host[:port]…][/dbname][?name=value[&amp;…]]</c>.
    /// The user part ends at the first '@' before any '/'; hosts may be bracketed IPv6 addresses; every part is percent-decoded.
    /// </summary>
    private static List<KeyValuePair<string, string>> ParseUri(string rest)
    {
        var pairs = new List<KeyValuePair<string, string>>();
        var position = 0;

        var slash = rest.IndexOf('/', StringComparison.Ordinal);
        var at = rest.IndexOf('@', StringComparison.Ordinal);
        if (at >= 0 && (slash < 0 || at < slash))
        {
            var userInfo = rest[..at];
            var colon = userInfo.IndexOf(':', StringComparison.Ordinal);
            var user = colon < 0 ? userInfo : userInfo[..colon];
            if (user.Length > 0)
                pairs.Add(new("user", Decode(user, "user")));
            if (colon >= 0 && colon + 1 < userInfo.Length)
                pairs.Add(new("password", Decode(userInfo[(colon + 1)..], "password")));
            position = at + 1;
        }

        var hosts = new StringBuilder();
        var ports = new StringBuilder();
        var terminator = '\0';
        while (true)
        {
            string host;
            if (position < rest.Length && rest[position] == '[')
            {
                var close = rest.IndexOf(']', position + 1);
                if (close < 0)
                    throw new FormatException("The database URI has an IPv6 host address without its closing \"]\".");
                if (close == position + 1)
                    throw new FormatException("The database URI has an empty IPv6 host address \"[]\".");
                host = rest[(position + 1)..close];
                position = close + 1;
                if (position < rest.Length && rest[position] is not (':' or '/' or '?' or ','))
                    throw new FormatException($"The database URI has an unexpected \"{rest[position]}\" after an IPv6 host address (expected \":\" or \"/\").");
            }
            else
            {
                var hostStart = position;
                while (position < rest.Length && rest[position] is not (':' or '/' or '?' or ','))
                    position++;
                host = rest[hostStart..position];
            }
            hosts.Append(host);
            terminator = position < rest.Length ? rest[position] : '\0';
            if (terminator == ':')
            {
                var portStart = ++position;
                while (position < rest.Length && rest[position] is not ('/' or '?' or ','))
                    position++;
                ports.Append(rest[portStart..position]);
                terminator = position < rest.Length ? rest[position] : '\0';
            }
            if (terminator != ',')
                break;
            position++;
            hosts.Append(',');
            ports.Append(',');
        }
        if (hosts.ToString().Replace(",", "", StringComparison.Ordinal).Length > 0)
            pairs.Add(new("host", Decode(hosts.ToString(), "host")));
        if (ports.ToString().Replace(",", "", StringComparison.Ordinal).Length > 0)
            pairs.Add(new("port", Decode(ports.ToString(), "port")));

        if (terminator == '/')
        {
            var databaseStart = ++position;
            while (position < rest.Length && rest[position] != '?')
                position++;
            var database = rest[databaseStart..position];
            if (database.Length > 0)
                pairs.Add(new("dbname", Decode(database, "dbname")));
            terminator = position < rest.Length ? rest[position] : '\0';
        }

        if (terminator == '?')
        {
            foreach (var parameter in rest[(position + 1)..].Split('&'))
            {
                if (parameter.Length == 0)
                    continue;
                var equals = parameter.IndexOf('=', StringComparison.Ordinal);
                if (equals < 0)
                    throw new FormatException($"The database URI's query parameter {Printable(Decode(parameter, "query"))} has no \"=\".");
                if (parameter.IndexOf('=', equals + 1) >= 0)
                    throw new FormatException($"The database URI's query parameter {Printable(Decode(parameter[..equals], "query"))} has a second \"=\"; write it as %3D.");
                var name = Decode(parameter[..equals], "query");
                // The name is not echoed unless it is a plain word: a malformed URI may have a password where a name should be.
                var value = Decode(parameter[(equals + 1)..], Printable(name) is ['"', ..] printable ? $"query parameter {printable}" : "query");
                // libpq accepts JDBC's ssl=true as sslmode=require.
                if (name == "ssl" && value == "true")
                    pairs.Add(new("sslmode", "require"));
                else
                    pairs.Add(new(name, value));
            }
        }
        return pairs;
    }

    /// <summary>Applies libpq parameters (later ones win, as in libpq) and combines the host and port lists.</summary>
    private static NpgsqlConnectionStringBuilder FromLibpq(List<KeyValuePair<string, string>> pairs, string form)
    {
        var builder = new NpgsqlConnectionStringBuilder();
        string? hosts = null, ports = null;
        foreach (var (name, value) in pairs)
        {
            if (Unsupported.Contains(name))
                throw new FormatException($"The database {form} uses \"{name}\", which Sluice (through Npgsql) does not support; remove it.");
            if (!Supported.TryGetValue(name, out var apply))
                throw new FormatException($"The database {form} has an unknown parameter {Printable(name)}.");
            switch (name)
            {
                case "host":
                    hosts = value;
                    break;
                case "port":
                    ports = value;
                    break;
                default:
                    apply(builder, value);
                    break;
            }
        }
        ApplyHosts(builder, hosts, ports);
        return builder;
    }

    /// <summary>
    /// libpq pairs <c>host=a,b</c> with <c>port=1,2</c> (or one port for all); Npgsql takes <c>Host=a:1,b:2</c>.
    /// An empty entry means the default (localhost, 5432).
    /// </summary>
    private static void ApplyHosts(NpgsqlConnectionStringBuilder builder, string? hosts, string? ports)
    {
        var hostList = (hosts ?? "").Split(',');
        var portList = ports is null ? [] : ports.Split(',').Select(static port => port.Trim()).ToArray();
        if (portList.Length > 1 && portList.Length != hostList.Length)
            throw new FormatException($"The database connection string has {portList.Length} ports for {hostList.Length} hosts; give one port, or one per host.");
        var parsedPorts = portList.Select(static port => port.Length == 0 ? (int?)null : Integer("port", port, 1, 65535)).ToArray();

        if (hostList.Length == 1)
        {
            if (hostList[0].Length > 0)
                builder.Host = hostList[0];
            if (parsedPorts.Length == 1 && parsedPorts[0] is { } only)
                builder.Port = only;
            return;
        }

        var entries = new List<string>(hostList.Length);
        for (var i = 0; i < hostList.Length; i++)
        {
            var host = hostList[i].Length == 0 ? "localhost" : hostList[i];
            var port = parsedPorts.Length == hostList.Length ? parsedPorts[i] : null;
            var written = host.Contains(':', StringComparison.Ordinal) ? "[" + host + "]" : host;
            entries.Add(port is null ? written : written + ":" + port.Value.ToString(CultureInfo.InvariantCulture));
        }
        builder.Host = string.Join(',', entries);
        if (parsedPorts.Length == 1 && parsedPorts[0] is { } shared)
            builder.Port = shared;
    }

    /// <summary>libpq's percent-decoding: %XX with two hex digits (bytes, read as UTF-8); %00 is refused; '+' stays '+'.</summary>
    private static string Decode(string text, string part)
    {
        if (!text.Contains('%', StringComparison.Ordinal))
            return text;
        using var bytes = new MemoryStream(text.Length);
        var literalStart = 0;
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] != '%')
                continue;
            bytes.Write(Encoding.UTF8.GetBytes(text[literalStart..i]));
            if (i + 2 >= text.Length || !byte.TryParse(text.AsSpan(i + 1, 2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var decoded))
                throw new FormatException($"The database URI has an invalid percent-encoded character in its {part} (a % must be followed by two hex digits; write % itself as %25).");
            if (decoded == 0)
                throw new FormatException($"The database URI has a forbidden %00 in its {part}.");
            bytes.WriteByte(decoded);
            i += 2;
            literalStart = i + 1;
        }
        bytes.Write(Encoding.UTF8.GetBytes(text[literalStart..]));
        return Encoding.UTF8.GetString(bytes.GetBuffer(), 0, (int)bytes.Length);
    }

    private static int Integer(string name, string value, int min, int max) =>
        int.TryParse(value.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var number) && number >= min && number <= max
            ? number
            : throw new FormatException($"The database connection string's \"{name}\" must be a whole number from {min} to {max}.");

    private static T OneOf<T>(string name, string value, Dictionary<string, T> choices) =>
        choices.TryGetValue(value, out var chosen)
            ? chosen
            : throw new FormatException($"The database connection string's \"{name}\" must be one of {string.Join(", ", choices.Keys)}.");

    private static void SkipWhitespace(string text, ref int position)
    {
        while (position < text.Length && char.IsWhiteSpace(text[position]))
            position++;
    }

    /// <summary>
    /// A parameter name for an error message, when it looks like one (lowercase letters and '_'); anything else may be
    /// a value that lost its key (a password, say) and is not repeated.
    /// </summary>
    private static string Printable(string name) =>
        name.Length is > 0 and <= 40 && name.All(static c => c is (>= 'a' and <= 'z') or '_') ? "\"" + name + "\"" : "a parameter";
}
