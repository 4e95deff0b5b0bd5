using System.Diagnostics;
using Npgsql;
using Sluice.IntegrationTests.Infrastructure;
using Xunit.Abstractions;

namespace Sluice.IntegrationTests.Supabase;

/// <summary>
/// Runs <c>test/compat/compat.js</c>: the unchanged <c>@supabase/realtime-js</c> client (from npm, with <c>ws</c> as its
/// transport on Node 20) against this server and its PostgreSQL, for vsn 1.0.0 and 2.0.0. Needs <c>node</c> and
/// <c>npm</c>; runs <c>npm ci</c> first when <c>test/compat/node_modules</c> is missing.
/// </summary>
public sealed class RealtimeJsCompatTests(PostgresFixture postgres, ITestOutputHelper output) : ServerTest(postgres)
{
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(3);

    [Fact]
    public async Task Unchanged_realtime_js_client_works_for_both_vsn()
    {
        var directory = Path.Combine(RepositoryRoot(), "test", "compat");
        if (!Directory.Exists(Path.Combine(directory, "node_modules")))
        {
            var (installCode, installOutput) = await RunAsync("npm", "ci --no-audit --no-fund", directory, new Dictionary<string, string>());
            Assert.True(installCode == 0, "npm ci failed:\n" + installOutput);
        }
        var connection = new NpgsqlConnectionStringBuilder(Database.ConnectionString);
        var (code, text) = await RunAsync("node", "compat.js", directory, new Dictionary<string, string>
        {
            ["SLUICE_URL"] = Server.HttpBase.ToString().TrimEnd('/'),
            ["PGHOST"] = connection.Host!,
            ["PGPORT"] = connection.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["PGUSER"] = connection.Username ?? "postgres",
            ["PGPASSWORD"] = connection.Password ?? "",
            ["PGDATABASE"] = connection.Database!,
        });
        output.WriteLine(text);
        Assert.True(code == 0, "compat.js failed:\n" + text);
        Assert.Contains("ok - postgres_changes vsn 1.0.0", text);
        Assert.Contains("ok - postgres_changes vsn 2.0.0", text);
        Assert.Contains("ok - broadcast and presence vsn 1.0.0", text);
        Assert.Contains("ok - broadcast and presence vsn 2.0.0", text);
    }

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Sluice.slnx")))
                return directory.FullName;
        }
        throw new InvalidOperationException("Sluice.slnx not found above " + AppContext.BaseDirectory);
    }

    private static async Task<(int Code, string Output)> RunAsync(string file, string arguments, string directory, IReadOnlyDictionary<string, string> environment)
    {
        var start = new ProcessStartInfo(file, arguments)
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var (name, value) in environment)
            start.Environment[name] = value;
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(Limit);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            return (-1, $"{file} {arguments} did not finish within {Limit}:\n{await stdout}\n{await stderr}");
        }
        return (process.ExitCode, await stdout + await stderr);
    }
}
