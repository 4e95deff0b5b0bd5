using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Sluice.IntegrationTests.Infrastructure;
using Sluice.Server.Cli;

namespace Sluice.IntegrationTests.Cli;

/// <summary>The client commands of <c>sluice</c> against a real server: status, tables, enable, disable, tail, and their errors.</summary>
public sealed class CliTests(PostgresFixture postgres) : ServerTest(postgres)
{
    private const string Token = "cli-admin-token";

    protected override string[] ServerArgs => ["--admin-token", Token];

    private string Url => Server.HttpBase.ToString();

    [Fact]
    public async Task Status_shows_the_stats_and_exits_0_while_streaming()
    {
        var refused = await CliRun.InvokeAsync("status", "--server", Url);
        Assert.True(refused.ExitCode == CliExitCodes.Unauthorized, refused.ToString());
        Assert.Contains("--admin-token", refused.Error, StringComparison.Ordinal);

        var run = await CliRun.InvokeAsync("status", "--server", Url, "--admin-token", Token);
        Assert.True(run.ExitCode == CliExitCodes.Ok, run.ToString());
        Assert.Contains("streaming", run.Output, StringComparison.Ordinal);
        Assert.Contains("slot lag", run.Output, StringComparison.Ordinal);
        Assert.Contains("WAL retained", run.Output, StringComparison.Ordinal);

        var json = await CliRun.InvokeAsync("status", "--server", Url, "--admin-token", Token, "--json");
        Assert.True(json.ExitCode == CliExitCodes.Ok, json.ToString());
        using var stats = JsonDocument.Parse(json.Output);
        Assert.Equal("streaming", stats.RootElement.GetProperty("capture").GetString());
    }

    [Fact]
    public async Task Tables_enable_and_disable_go_through_the_admin_api()
    {
        await Database.ExecuteAsync("CREATE TABLE public.cli_orders (id bigint PRIMARY KEY)");

        var refused = await CliRun.InvokeAsync("enable", "public.cli_orders", "--server", Url);
        Assert.True(refused.ExitCode == CliExitCodes.Unauthorized, refused.ToString());
        Assert.Contains("--admin-token", refused.Error, StringComparison.Ordinal);

        var enable = await CliRun.InvokeAsync("enable", "public.cli_orders", "--server", Url, "--admin-token", Token);
        Assert.True(enable.ExitCode == CliExitCodes.Ok, enable.ToString());
        Assert.Equal(1L, await Database.ScalarAsync<long>("SELECT count(*) FROM realtime_tables() WHERE table_name = 'cli_orders'"));

        var tables = await CliRun.InvokeAsync("tables", "--server", Url, "--admin-token", Token, "--enabled");
        Assert.True(tables.ExitCode == CliExitCodes.Ok, tables.ToString());
        Assert.Contains("public.cli_orders", tables.Output, StringComparison.Ordinal);
        Assert.Contains("enabled", tables.Output, StringComparison.Ordinal);

        var disable = await CliRun.InvokeAsync("disable", "public.cli_orders", "--server", Url, "--admin-token", Token);
        Assert.True(disable.ExitCode == CliExitCodes.Ok, disable.ToString());
        Assert.Equal(0L, await Database.ScalarAsync<long>("SELECT count(*) FROM realtime_tables() WHERE table_name = 'cli_orders'"));

        var missing = await CliRun.InvokeAsync("enable", "public.no_such_table", "--server", Url, "--admin-token", Token);
        Assert.True(missing.ExitCode == CliExitCodes.Failed, missing.ToString());
        Assert.Contains("table_not_found", missing.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Tail_prints_changes_after_a_snapshot_and_stops_after_count()
    {
        await CreateTableAsync("cli_items", "id bigint PRIMARY KEY, name text");
        await Database.ExecuteAsync("INSERT INTO cli_items VALUES (1, 'before'), (2, 'before'), (3, 'before')");

        var channelsBefore = (await Server.StatsAsync()).GetProperty("channels").GetInt32();
        var tail = CliRun.InvokeAsync("tail", "public.cli_items", "--snapshot", "--count", "2", "--server", Url);
        for (var poll = 0; poll < 600 && (await Server.StatsAsync()).GetProperty("channels").GetInt32() <= channelsBefore; poll++)
            await Task.Delay(50);
        await Database.ExecuteAsync("INSERT INTO cli_items VALUES (4, 'tailed insert')");
        await Database.ExecuteAsync("UPDATE cli_items SET name = 'tailed update' WHERE id = 1");

        var run = await tail;
        Assert.True(run.ExitCode == CliExitCodes.Ok, run.ToString());
        Assert.Contains("Snapshot: 3 rows", run.Error, StringComparison.Ordinal);
        Assert.Contains("INSERT public.cli_items", run.Output, StringComparison.Ordinal);
        Assert.Contains("tailed insert", run.Output, StringComparison.Ordinal);
        Assert.Contains("UPDATE public.cli_items", run.Output, StringComparison.Ordinal);
        Assert.Contains("tailed update", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unqualified_table_name_means_the_public_schema()
    {
        await Database.ExecuteAsync("CREATE TABLE public.cli_plain (id bigint PRIMARY KEY)");

        var enable = await CliRun.InvokeAsync("enable", "cli_plain", "--server", Url, "--admin-token", Token);
        Assert.True(enable.ExitCode == CliExitCodes.Ok, enable.ToString());
        Assert.Contains("public.cli_plain", enable.Output, StringComparison.Ordinal);
        Assert.Equal(1L, await Database.ScalarAsync<long>("SELECT count(*) FROM realtime_tables() WHERE schema_name = 'public' AND table_name = 'cli_plain'"));

        var disable = await CliRun.InvokeAsync("disable", "cli_plain", "--server", Url, "--admin-token", Token);
        Assert.True(disable.ExitCode == CliExitCodes.Ok, disable.ToString());
        Assert.Equal(0L, await Database.ScalarAsync<long>("SELECT count(*) FROM realtime_tables() WHERE table_name = 'cli_plain'"));

        var malformed = await CliRun.InvokeAsync("enable", "a.b.c", "--server", Url, "--admin-token", Token);
        Assert.True(malformed.ExitCode == CliExitCodes.Usage, malformed.ToString());
        Assert.Contains("schema.table", malformed.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Tail_prints_timestamps_as_they_are()
    {
        await CreateTableAsync("cli_times", "id bigint PRIMARY KEY, at timestamptz NOT NULL");

        var channelsBefore = (await Server.StatsAsync()).GetProperty("channels").GetInt32();
        var tail = CliRun.InvokeAsync("tail", "public.cli_times", "--count", "1", "--server", Url);
        for (var poll = 0; poll < 600 && (await Server.StatsAsync()).GetProperty("channels").GetInt32() <= channelsBefore; poll++)
            await Task.Delay(50);
        await Database.ExecuteAsync("INSERT INTO cli_times VALUES (1, '2024-05-06 07:08:09+00')");

        var run = await tail;
        Assert.True(run.ExitCode == CliExitCodes.Ok, run.ToString());
        Assert.Contains("INSERT public.cli_times", run.Output, StringComparison.Ordinal);
        // The offset is the database's time zone's; '+' must not come out as \u002B.
        Assert.Matches(@"""2024-05-0\dT\d\d:\d\d:09[+-]\d\d:\d\d""", run.Output);
        Assert.DoesNotContain("\\u00", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Tail_follows_a_room_too()
    {
        var roomsBefore = (await Server.StatsAsync()).GetProperty("rooms").GetInt32();
        var tail = CliRun.InvokeAsync("tail", "room:cli-lobby", "--count", "1", "--server", Url);
        for (var poll = 0; poll < 600 && (await Server.StatsAsync()).GetProperty("rooms").GetInt32() <= roomsBefore; poll++)
            await Task.Delay(50);
        var publisher = await ConnectAsync();
        await publisher.SubscribeAsync("room:cli-lobby"); // only members publish
        await publisher.SendAsync(new { type = "broadcast", channel = "room:cli-lobby", @event = "cursor", payload = new { x = 42 } });

        var run = await tail;
        Assert.True(run.ExitCode == CliExitCodes.Ok, run.ToString());
        Assert.Contains("cursor room:cli-lobby", run.Output, StringComparison.Ordinal);
        Assert.Contains("42", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Errors_are_one_clear_line_with_an_exit_code()
    {
        var notEnabled = await CliRun.InvokeAsync("tail", "public.not_there", "--server", Url);
        Assert.True(notEnabled.ExitCode == CliExitCodes.Failed, notEnabled.ToString());
        Assert.Contains("table_not_found", notEnabled.Error, StringComparison.Ordinal);

        var port = ClosedPort();
        foreach (var command in new[] { "status", "tables", "tail" })
        {
            string[] args = command == "tail" ? [command, "public.x", "--server", $"http://127.0.0.1:{port}"] : [command, "--server", $"http://127.0.0.1:{port}"];
            var unreachable = await CliRun.InvokeAsync(args);
            Assert.True(unreachable.ExitCode == CliExitCodes.Unreachable, unreachable.ToString());
            Assert.Contains("Cannot reach the Sluice server", unreachable.Error, StringComparison.Ordinal);
            Assert.DoesNotContain("   at ", unreachable.Error, StringComparison.Ordinal);
        }

        var help = await CliRun.InvokeAsync("--help");
        Assert.Equal(0, help.ExitCode);
        foreach (var command in new[] { "serve", "status", "tables", "enable", "disable", "tail", "bench" })
            Assert.Contains(command, help.Output, StringComparison.Ordinal);
        var benchHelp = await CliRun.InvokeAsync("bench", "--help");
        Assert.Contains("--quick", benchHelp.Output, StringComparison.Ordinal);
    }

    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
