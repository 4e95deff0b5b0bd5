using System.Globalization;
using CsCheck;
using Npgsql;
using Sluice.Server.Database;

namespace Sluice.Tests.Database;

/// <summary>Round trips through each form of the database address, and bad input that fails cleanly without repeating a secret.</summary>
public sealed class PostgresConnectionStringProperties
{
    /// <summary>Strings full of the characters each form must quote or encode (no NUL: no form can carry it).</summary>
    private static readonly Gen<string> Awkward = Gen.OneOf(
            "a", "Z", "0", " ", "@", ":", "/", "?", "#", "%", "%41", "&", "=", "+", "'", "\\", "\"", ";", ",", "[", "]", "é", "€", "😀", "\t", "-", "_", ".")
        .Array[0, 12].Select(static parts => string.Concat(parts));

    private static readonly Gen<string> NonEmptyAwkward = Gen.Select(Gen.Char.AlphaNumeric, Awkward).Select(static (first, rest) => first + rest);

    private static readonly Gen<string> Hosts = Gen.OneOf("localhost", "127.0.0.1", "db.example.com", "::1", "2001:db8::7", "fe80::1");

    private static readonly Gen<int> Ports = Gen.Int[1, 65535];

    [Fact]
    public void Printed_uris_parse_back_to_the_same_server()
    {
        Gen.Select(Hosts, Ports, NonEmptyAwkward, NonEmptyAwkward, NonEmptyAwkward).Sample((host, port, user, password, database) =>
        {
            var parsed = PostgresConnectionString.Parse(PostgresConnectionString.ToUri(host, port, user, password, database));
            return parsed.Host == host && parsed.Port == port && parsed.Username == user && parsed.Password == password && parsed.Database == database;
        }, iter: 2_000);
    }

    [Fact]
    public void Quoted_keyword_values_parse_back_to_themselves()
    {
        var spaces = Gen.OneOf("", " ", "  ", "\t");
        Gen.Select(Hosts, Ports, Awkward, Awkward, Awkward, spaces, spaces).Sample((host, port, user, password, application, before, after) =>
        {
            var text = $"host{before}={after}{Quote(host)} port={port.ToString(CultureInfo.InvariantCulture)}{before} user{after}={Quote(user)}"
                + $"  password={before}{Quote(password)} application_name={Quote(application)}";
            var parsed = PostgresConnectionString.Parse(text);
            return parsed.Host == host && parsed.Port == port && (parsed.Username ?? "") == user && (parsed.Password ?? "") == password
                && (parsed.ApplicationName ?? "") == application;
        }, iter: 2_000);
    }

    [Fact]
    public void Npgsql_strings_pass_through_unchanged()
    {
        Gen.Select(Hosts, Ports, NonEmptyAwkward, NonEmptyAwkward).Sample((host, port, user, password) =>
        {
            var original = new NpgsqlConnectionStringBuilder { Host = host, Port = port, Username = user, Password = password, Database = "app" };
            var parsed = PostgresConnectionString.Parse(original.ConnectionString);
            return parsed.Host == host && parsed.Port == port && parsed.Username == user && parsed.Password == password && parsed.Database == "app";
        }, iter: 1_000);
    }

    [Fact]
    public void Any_text_parses_or_fails_with_a_format_error_that_does_not_repeat_the_password()
    {
        var pieces = Gen.OneOf("postgresql://", "postgres://", "host=", "Host=", "port=", "user=", "dbname=", "foo=", "u@", "h:", ":", "/", "?", "&",
            "=", "'", "\\", ";", ",", " ", "%", "%2", "%zz", "%00", "[", "]", "x", "5432", "sslmode=", "require");
        var text = pieces.Array[0, 8].Select(static parts => string.Concat(parts));
        var secret = Gen.String[Gen.Char.AlphaNumeric, 4, 10].Select(static tail => "Pw9" + tail);
        var assignment = Gen.OneOf("password=", "password = '", ":", "Password=");
        Gen.Select(text, assignment, secret, text).Sample((before, assign, password, after) =>
        {
            try
            {
                PostgresConnectionString.Parse(before + assign + password + after);
                return true;
            }
            catch (FormatException ex)
            {
                return !ex.Message.Contains(password, StringComparison.OrdinalIgnoreCase) && !ex.Message.Contains('\n', StringComparison.Ordinal);
            }
        }, iter: 5_000);
    }

    /// <summary>libpq's quoting: single quotes around, backslash before ' and \.</summary>
    private static string Quote(string value) => "'" + value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("'", "\\'", StringComparison.Ordinal) + "'";
}
