using System.Globalization;
using System.Net;
using System.Text.Json;
using Sluice.IntegrationTests.Infrastructure;
using Sluice.Server.Embedded;

namespace Sluice.IntegrationTests.Embedded;

/// <summary>
/// The real executable with its embedded PostgreSQL: the cluster of a data directory belongs to one live server; a
/// second one is refused without touching it, and the owner reports a database lost under it in its health.
/// </summary>
public sealed class EmbeddedServerTests
{
    [Fact]
    public async Task A_second_server_on_the_same_data_directory_is_refused_and_the_first_keeps_its_database()
    {
        using var data = new TemporaryDirectory();
        await using var first = await ServerProcess.StartWithArgumentsAsync("--data-dir", data.Path);
        var postmaster = PostmasterId(data.Path);

        await using var second = SluiceCommand.Start("--data-dir", data.Path, "--urls", $"http://127.0.0.1:{LoopbackPort.FindFree()}");
        var exitCode = await second.WaitForExitAsync();

        Assert.True(exitCode != 0, second.ToString());
        var error = Assert.Single(second.ErrorLines, static line => line.Trim().Length > 0);
        Assert.Contains(first.ProcessId.ToString(CultureInfo.InvariantCulture), error, StringComparison.Ordinal);
        Assert.Contains("--data-dir", error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", second.ToString(), StringComparison.Ordinal);

        // The first server's PostgreSQL was never stopped or restarted, and it still streams.
        Assert.Equal(postmaster, PostmasterId(data.Path));
        Assert.True(ProcessProbe.IsAlive(postmaster));
        using var health = await first.Http.GetAsync(new Uri(first.HttpBase, "health"));
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.Equal("streaming", (await first.StatsAsync()).GetProperty("capture").GetString());
        await StopCleanlyAsync(first);
    }

    [Fact]
    public async Task The_cluster_left_running_by_a_killed_server_is_taken_over_by_the_next_one()
    {
        using var data = new TemporaryDirectory();
        await using var first = await ServerProcess.StartWithArgumentsAsync("--data-dir", data.Path);
        var leftover = PostmasterId(data.Path);
        first.Kill(); // SIGKILL: the server cannot stop its PostgreSQL, which keeps running without an owner
        Assert.True(ProcessProbe.IsAlive(leftover));

        await using var next = await ServerProcess.StartWithArgumentsAsync("--data-dir", data.Path);

        Assert.NotEqual(leftover, PostmasterId(data.Path));
        Assert.Equal("streaming", (await next.StatsAsync()).GetProperty("capture").GetString());
        await StopCleanlyAsync(next);
    }

    [Fact]
    public async Task A_server_restarted_after_a_kill_stops_its_PostgreSQL_on_SIGTERM()
    {
        using var data = new TemporaryDirectory();
        await using var first = await ServerProcess.StartWithArgumentsAsync("--data-dir", data.Path);
        first.Kill(); // SIGKILL: its PostgreSQL keeps running without an owner
        await using var next = await ServerProcess.StartWithArgumentsAsync("--data-dir", data.Path);
        var postmaster = PostmasterId(data.Path);

        await StopCleanlyAsync(next);

        // The server waits for its PostgreSQL to stop before it exits: nothing is left running on the data directory.
        Assert.False(ProcessProbe.IsAlive(postmaster), $"PostgreSQL (pid {postmaster}) still runs after the server exited\n{next.Output}");
        Assert.False(File.Exists(Path.Combine(data.Path, "postmaster.pid")), $"postmaster.pid is left behind\n{next.Output}");
    }

    [Fact]
    public async Task SIGTERM_while_a_restarted_server_is_still_starting_stops_its_PostgreSQL()
    {
        using var data = new TemporaryDirectory();
        await using var first = await ServerProcess.StartWithArgumentsAsync("--data-dir", data.Path);
        first.Kill(); // SIGKILL: its PostgreSQL keeps running without an owner

        // Signalled as soon as its PostgreSQL runs: the server is still building its host (slot, publication, pools).
        await using var next = SluiceCommand.Start("--data-dir", data.Path, "--urls", $"http://127.0.0.1:{LoopbackPort.FindFree()}");
        await next.WaitForOutputLineAsync(static line => line.StartsWith("Embedded PostgreSQL running", StringComparison.Ordinal));
        var postmaster = PostmasterId(data.Path);
        var exitCode = await next.StopAsync();

        Assert.False(ProcessProbe.IsAlive(postmaster), $"PostgreSQL (pid {postmaster}) still runs after the server exited with {exitCode}\n{next}");
        Assert.True(exitCode == 0, $"exit code {exitCode}\n{next}");
        Assert.False(File.Exists(Path.Combine(data.Path, "postmaster.pid")), $"postmaster.pid is left behind\n{next}");
    }

    [Fact]
    public async Task A_database_lost_under_the_server_is_reported_in_health_with_a_reason_until_it_is_back()
    {
        using var data = new TemporaryDirectory();
        await using var server = await ServerProcess.StartWithArgumentsAsync("--data-dir", data.Path);
        var postmaster = PostmasterId(data.Path);

        using (var process = System.Diagnostics.Process.GetProcessById(postmaster))
            process.Kill();

        var (status, body) = await WaitForHealthAsync(server, "health", HttpStatusCode.ServiceUnavailable);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        using (var health = JsonDocument.Parse(body))
            Assert.False(string.IsNullOrWhiteSpace(health.RootElement.GetProperty("reason").GetString()), body);
        using (var ready = await server.Http.GetAsync(new Uri(server.HttpBase, "health/ready")))
        {
            var readyBody = await ready.Content.ReadAsStringAsync();
            if (ready.StatusCode == HttpStatusCode.ServiceUnavailable)
                Assert.Contains("database", readyBody, StringComparison.OrdinalIgnoreCase);
        }

        // The server owns its embedded cluster: it starts it again, and capture streams again.
        (status, body) = await WaitForHealthAsync(server, "health", HttpStatusCode.OK);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.NotEqual(postmaster, PostmasterId(data.Path));
        await StopCleanlyAsync(server);
    }

    [Fact]
    public async Task PostgreSQL_stopped_under_the_server_is_not_held_up_and_is_started_again()
    {
        using var data = new TemporaryDirectory();
        await using var server = await ServerProcess.StartWithArgumentsAsync("--data-dir", data.Path);
        var postmaster = PostmasterId(data.Path);

        // A fast shutdown waits for every walsender to be confirmed to the end of WAL: the server must let its stream go.
        var (exitCode, output) = await PgCtlAsync("stop", "-D", data.Path, "-m", "fast", "-w", "-t", "100");
        Assert.True(exitCode == 0, $"pg_ctl stop: {output}\n{server.Output}");

        // /health may still answer 200 until the server notices the stop: wait for the new postmaster first.
        await WaitForNewPostmasterAsync(data.Path, postmaster, server);
        var (status, body) = await WaitForHealthAsync(server, "health", HttpStatusCode.OK);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("streaming", (await server.StatsAsync()).GetProperty("capture").GetString());
        await StopCleanlyAsync(server);
    }

    /// <summary>SIGTERM, as Ctrl+C: the server stops its PostgreSQL and exits with 0.</summary>
    private static async Task StopCleanlyAsync(ServerProcess server)
    {
        var exitCode = await server.StopAsync();
        Assert.True(exitCode == 0, $"exit code {exitCode}\n{server.Output}");
    }

    /// <summary>Runs pg_ctl of the machine's PostgreSQL (as the postgres user when this is root, as the server does).</summary>
    private static async Task<(int ExitCode, string Output)> PgCtlAsync(params string[] arguments)
    {
        var pgCtl = Path.Combine(EmbeddedPostgres.FindBinDirectory()!, "pg_ctl");
        var start = Environment.IsPrivilegedProcess
            ? new System.Diagnostics.ProcessStartInfo("runuser", ["-u", "postgres", "--", pgCtl, .. arguments])
            : new System.Diagnostics.ProcessStartInfo(pgCtl, arguments);
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        start.WorkingDirectory = "/";
        using var process = System.Diagnostics.Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync();
        var output = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, output + await error);
    }

    /// <summary>Polls until the endpoint answers <paramref name="expected"/>; a hang guard, not a latency assertion.</summary>
    private static async Task<(HttpStatusCode Status, string Body)> WaitForHealthAsync(ServerProcess server, string path, HttpStatusCode expected)
    {
        var deadline = DateTime.UtcNow + ServerProcess.StartPatience;
        (HttpStatusCode Status, string Body) last = default;
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                using var response = await server.Http.GetAsync(new Uri(server.HttpBase, path));
                last = (response.StatusCode, await response.Content.ReadAsStringAsync());
                if (last.Status == expected)
                    return last;
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException)
            {
            }
            await Task.Delay(100);
        }
        Assert.Fail($"/{path} did not answer {expected} in time; last: {last.Status} {last.Body}\n{server.Output}");
        return last;
    }

    /// <summary>Polls until a postmaster other than <paramref name="old"/> runs in the data directory; a hang guard, not a latency assertion.</summary>
    private static async Task WaitForNewPostmasterAsync(string dataDirectory, int old, ServerProcess server)
    {
        var deadline = DateTime.UtcNow + ServerProcess.StartPatience;
        while (DateTime.UtcNow < deadline)
        {
            if (StaleLockFile.ReadPostmasterId(dataDirectory) is { } current && current != old && ProcessProbe.IsAlive(current))
                return;
            await Task.Delay(100);
        }
        Assert.Fail($"no new PostgreSQL started in {dataDirectory}\n{server.Output}");
    }

    private static int PostmasterId(string dataDirectory) =>
        int.Parse(File.ReadLines(Path.Combine(dataDirectory, "postmaster.pid")).First(), CultureInfo.InvariantCulture);
}
