using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Sluice.IntegrationTests.Embedded;
using Sluice.IntegrationTests.Infrastructure;
using Sluice.IntegrationTests.Supabase;
using Sluice.Server.Embedded;

namespace Sluice.IntegrationTests.QuickStart;

/// <summary>
/// The README's quick start, as written: it reads README.md itself, starts the server as step 1 says (the built server
/// with its embedded PostgreSQL), connects psql with the address from the server's first line and runs the README's
/// INSERT, and runs the README's JavaScript snippet with this machine's Node, which must print the inserted row.
/// Only the port is chosen by the test (with <c>--urls</c>, as the README says for a taken port) and the data directory
/// is a fresh one.
/// </summary>
public sealed partial class ReadmeQuickStartTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(120);

    [Fact]
    public async Task The_quick_start_works_as_written()
    {
        var readme = await File.ReadAllTextAsync(Path.Combine(CompatScripts.RepositoryRoot(), "README.md"));
        var quickStart = Section(readme, "## Quick start");

        // Step 1: the command, and what the server prints.
        var start = CodeBlocks(quickStart, "bash")[0].Split('\n');
        Assert.Equal("dotnet run --project src/Sluice.Server", CommandPart(start[0]));
        var printed = start.Skip(1).Where(static line => line.StartsWith("# ", StringComparison.Ordinal)).Select(static line => line[2..]).ToList();
        Assert.True(printed.Count >= 2, "step 1 shows the server's first lines as comments");
        var addressPrefix = printed[0][..printed[0].IndexOf('…', StringComparison.Ordinal)]; // "Embedded PostgreSQL running: postgresql://postgres:"
        var label = printed[0][..(printed[0].IndexOf(": ", StringComparison.Ordinal) + 2)];
        Assert.StartsWith("Sluice listening: ws://localhost:8080/realtime", printed[1], StringComparison.Ordinal);

        // Step 2 and 3: the SQL, the JavaScript, and how to run it on this Node.
        var insert = CodeBlocks(quickStart, "sql")[0].Trim();
        Assert.StartsWith("INSERT INTO products", insert, StringComparison.Ordinal);
        var javascript = CodeBlocks(Section(quickStart, "### JavaScript"), "javascript")[0];
        var nodeMajor = await NodeMajorVersionAsync();
        var nodeCommand = nodeMajor >= 22 ? "node watch.mjs" : "node --experimental-websocket watch.mjs";
        Assert.Contains($"`{nodeCommand}`", quickStart, StringComparison.Ordinal);

        using var data = new TemporaryDirectory();
        using var work = new TemporaryDirectory();
        Directory.CreateDirectory(work.Path);
        var port = LoopbackPort.FindFree();
        await using var server = SluiceCommand.Start(["--data-dir", data.Path, "--urls", $"http://localhost:{port}"], workingDirectory: null);

        var first = await server.WaitForOutputLineAsync(static _ => true);
        Assert.StartsWith(addressPrefix, first, StringComparison.Ordinal);
        var address = first[label.Length..].Trim();
        await server.WaitForOutputLineAsync(line => line.StartsWith(printed[1].Replace("8080", port.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal), StringComparison.Ordinal));

        await File.WriteAllTextAsync(Path.Combine(work.Path, "watch.mjs"), javascript.Replace("ws://localhost:8080", $"ws://localhost:{port}", StringComparison.Ordinal));
        var nodeArguments = nodeCommand.Split(' ')[1..];
        using var node = ChildProcess.Start("node", nodeArguments, work.Path, redirectInput: true);
        await WaitForSubscriberAsync(port, node);

        using var psql = ChildProcess.Start("psql", [address], work.Path, redirectInput: true);
        await psql.Process.StandardInput.WriteLineAsync(insert);
        psql.Process.StandardInput.Close();
        await psql.WaitForExitAsync(Patience);
        Assert.True(psql.Process.ExitCode == 0, $"psql failed\n{psql}");
        Assert.Contains("INSERT 0 1", psql.Output, StringComparison.Ordinal);

        // console.log prints the offset, the change type and the record (over several lines).
        var change = await node.WaitForOutputAsync(static output => output.Contains(" INSERT ", StringComparison.Ordinal) && output.Contains("name: 'Lamp'", StringComparison.Ordinal), Patience);
        Assert.Contains("price: 99.99", change, StringComparison.Ordinal);
        Assert.Equal(0, await server.StopAsync());
    }

    /// <summary>Waits until the snippet's subscription is counted by the server (stats are open without an admin token).</summary>
    private static async Task WaitForSubscriberAsync(int port, ChildProcess node)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(15) };
        var deadline = DateTime.UtcNow + Patience;
        while (DateTime.UtcNow < deadline)
        {
            Assert.False(node.Process.HasExited, $"the snippet exited\n{node}");
            using var stats = JsonDocument.Parse(await http.GetStringAsync(new Uri($"http://localhost:{port}/api/realtime/stats")));
            if (stats.RootElement.GetProperty("channels").GetInt32() > 0)
                return;
            await Task.Delay(100);
        }
        Assert.Fail($"the snippet did not subscribe in time\n{node}");
    }

    private static async Task<int> NodeMajorVersionAsync()
    {
        using var node = ChildProcess.Start("node", ["--version"], Path.GetTempPath(), redirectInput: true);
        await node.WaitForExitAsync(Patience);
        var match = NodeVersion().Match(node.Output);
        Assert.True(match.Success, $"node --version: {node.Output}");
        return int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
    }

    /// <summary>The text after <paramref name="heading"/> up to the next heading of the same level.</summary>
    private static string Section(string markdown, string heading)
    {
        var start = markdown.IndexOf("\n" + heading + "\n", StringComparison.Ordinal);
        Assert.True(start >= 0, $"README has no \"{heading}\" section");
        var level = heading[..(heading.IndexOf(' ', StringComparison.Ordinal) + 1)];
        var end = markdown.IndexOf("\n" + level, start + heading.Length + 1, StringComparison.Ordinal);
        return end < 0 ? markdown[start..] : markdown[start..end];
    }

    private static List<string> CodeBlocks(string markdown, string language)
    {
        var blocks = CodeBlock().Matches(markdown).Where(match => match.Groups[1].Value == language).Select(static match => match.Groups[2].Value).ToList();
        Assert.True(blocks.Count > 0, $"no ```{language} block");
        return blocks;
    }

    /// <summary>"dotnet run --project src/Sluice.Server    # run: …" without its comment.</summary>
    private static string CommandPart(string line) => (line.IndexOf(" #", StringComparison.Ordinal) is var comment and >= 0 ? line[..comment] : line).Trim();

    [GeneratedRegex(@"^```([a-z]+)\n(.*?)^```", RegexOptions.Multiline | RegexOptions.Singleline)]
    private static partial Regex CodeBlock();

    [GeneratedRegex(@"^v(\d+)\.")]
    private static partial Regex NodeVersion();
}
