using Npgsql;
using Sluice.Server.Database;

namespace Sluice.Tests.Database;

/// <summary>The three forms of the database address (Npgsql, libpq URI, libpq keyword/value), as libpq documents them.</summary>
public sealed class PostgresConnectionStringTests
{
    [Theory]
    [InlineData("postgresql://alice:s3cret@db.example.com:6543/app")]
    [InlineData("postgres://alice:s3cret@db.example.com:6543/app")]
    [InlineData("host=db.example.com port=6543 user=alice password=s3cret dbname=app")]
    [InlineData("  host = db.example.com   port=6543 user= alice password ='s3cret' dbname= 'app' ")]
    [InlineData("Host=db.example.com;Port=6543;Username=alice;Password=s3cret;Database=app")]
    public void The_three_forms_name_the_same_server(string text)
    {
        var parsed = PostgresConnectionString.Parse(text);

        Assert.Equal("db.example.com", parsed.Host);
        Assert.Equal(6543, parsed.Port);
        Assert.Equal("alice", parsed.Username);
        Assert.Equal("s3cret", parsed.Password);
        Assert.Equal("app", parsed.Database);
    }

    [Fact]
    public void Uri_parts_are_percent_decoded_and_plus_stays_plus()
    {
        var parsed = PostgresConnectionString.Parse("postgresql://us%40er:p%3Aa%2Fs%25s+w%C3%B6rd@localhost/my%20db");

        Assert.Equal("us@er", parsed.Username);
        Assert.Equal("p:a/s%s+wörd", parsed.Password);
        Assert.Equal("my db", parsed.Database);
        Assert.Equal("localhost", parsed.Host);
    }

    [Fact]
    public void Uri_query_parameters_are_applied_and_override_the_uri_parts()
    {
        var parsed = PostgresConnectionString.Parse(
            "postgresql://u@first/one?sslmode=verify-full&application_name=my%20app&connect_timeout=7&host=second&dbname=two&target_session_attrs=read-write");

        Assert.Equal(SslMode.VerifyFull, parsed.SslMode);
        Assert.Equal("my app", parsed.ApplicationName);
        Assert.Equal(7, parsed.Timeout);
        Assert.Equal("second", parsed.Host);
        Assert.Equal("two", parsed.Database);
        Assert.Equal("read-write", parsed.TargetSessionAttributes);
    }

    [Fact]
    public void Jdbc_style_ssl_true_means_sslmode_require()
    {
        Assert.Equal(SslMode.Require, PostgresConnectionString.Parse("postgresql://localhost/db?ssl=true").SslMode);
    }

    [Theory]
    [InlineData("postgresql://[::1]:5433/db", "::1", 5433)]
    [InlineData("postgresql://[2001:db8::7]/db", "2001:db8::7", 5432)]
    [InlineData("postgresql://%2Fvar%2Frun%2Fpostgresql/db", "/var/run/postgresql", 5432)]
    [InlineData("postgresql:///db?host=/tmp&port=6000", "/tmp", 6000)]
    [InlineData("postgresql://localhost", "localhost", 5432)]
    public void Hosts_may_be_ipv6_addresses_or_socket_folders(string text, string host, int port)
    {
        var parsed = PostgresConnectionString.Parse(text);

        Assert.Equal(host, parsed.Host);
        Assert.Equal(port, parsed.Port);
    }

    [Theory]
    [InlineData("postgresql://one:5433,two:5434,[::1]:5435/db", "one:5433,two:5434,[::1]:5435", 5432)]
    [InlineData("postgresql://one,two/db", "one,two", 5432)]
    [InlineData("host=one,two port=5433,5434 dbname=db", "one:5433,two:5434", 5432)]
    [InlineData("host=one,two port=6000 dbname=db", "one,two", 6000)]
    public void Several_hosts_become_npgsql_host_lists(string text, string hosts, int port)
    {
        var parsed = PostgresConnectionString.Parse(text);

        Assert.Equal(hosts, parsed.Host);
        Assert.Equal(port, parsed.Port);
    }

    [Fact]
    public void Keyword_values_take_quotes_and_backslash_escapes()
    {
        var parsed = PostgresConnectionString.Parse(@"host=localhost user='o\'brien' password='a \\ b c' application_name=plain\ escaped dbname=''");

        Assert.Equal("o'brien", parsed.Username);
        Assert.Equal(@"a \ b c", parsed.Password);
        Assert.Equal("plain escaped", parsed.ApplicationName);
    }

    [Theory]
    [InlineData("postgresql://localhost/db?foo=bar", "\"foo\"")]
    [InlineData("host=localhost foo=bar", "\"foo\"")]
    [InlineData("postgresql://localhost/db?hostaddr=127.0.0.1", "\"hostaddr\"")]
    [InlineData("host=localhost service=mine", "\"service\"")]
    [InlineData("postgresql://localhost/db?sslmode=sometimes", "\"sslmode\"")]
    [InlineData("postgresql://localhost:notaport/db", "\"port\"")]
    [InlineData("host=a,b,c port=1,2", "3 hosts")]
    [InlineData("postgresql://[::1/db", "\"]\"")]
    [InlineData("Host=localhost;Usrname=x", "Usrname")]
    public void Unknown_or_unsupported_parameters_are_named_in_one_clear_error(string text, string named)
    {
        var error = Assert.Throws<FormatException>(() => PostgresConnectionString.Parse(text));

        Assert.Contains(named, error.Message, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Theory]
    [InlineData("postgresql://user:hunter2%zz@localhost/db")]
    [InlineData("postgresql://user:hunter2%00@localhost/db")]
    [InlineData("host=localhost password='hunter2")]
    [InlineData("host=localhost 'hunter2'")]
    [InlineData("host=localhost hunter2")]
    [InlineData("Host=localhost;Password=x;hunter2")]
    [InlineData("postgresql://localhost/db?password=hunter2&hunter2")]
    [InlineData("Host=localhost;:hunter2port=5")]
    [InlineData("Host=localhost;Port=hunter2")]
    public void Errors_never_repeat_a_secret(string text)
    {
        var error = Assert.Throws<FormatException>(() => PostgresConnectionString.Parse(text));

        Assert.DoesNotContain("hunter2", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Printed_uris_encode_what_needs_it()
    {
        var uri = PostgresConnectionString.ToUri("127.0.0.1", 5544, "postgres", "p@ss:w/rd?#%", "postgres");

        Assert.Equal("postgresql://postgres:p%40ss%3Aw%2Frd%3F%23%25@127.0.0.1:5544/postgres", uri);
        Assert.Equal("p@ss:w/rd?#%", PostgresConnectionString.Parse(uri).Password);
        Assert.Equal("postgresql://u:p@[::1]:5432/d", PostgresConnectionString.ToUri("::1", 5432, "u", "p", "d"));
    }
}
