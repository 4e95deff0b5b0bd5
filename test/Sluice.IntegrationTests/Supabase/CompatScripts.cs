using System.Diagnostics;
using Npgsql;
using Sluice.IntegrationTests.Infrastructure;

namespace Sluice.IntegrationTests.Supabase;

/// <summary>Runs a script of <c>test/compat</c> with node against a server and its database (<c>npm ci</c> first when needed).</summary>
internal static class CompatScripts
{
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(3);

    public static async Task<(int Code, string Output)> RunAsync(string script, ServerHandle server, TestDatabase database, IReadOnlyDictionary<string, string> environment)
    {
        var directory = Path.Combine(RepositoryRoot(), "test", "compat");
        if (!Directory.Exists(Path.Combine(directory, "node_modules")))
        {
            var (installCode, installOutput) = await RunProcessAsync("npm", "ci --no-audit --no-fund", directory, new Dictionary<string, string>());
            Assert.True(installCode == 0, "npm ci failed:\n" + installOutput);
        }
        var connection = new NpgsqlConnectionStringBuilder(database.ConnectionString);
        var variables = new Dictionary<string, string>(environment)
        {
            ["SLUICE_URL"] = server.HttpBase.ToString().TrimEnd('/'),
            ["PGHOST"] = connection.Host!,
            ["PGPORT"] = connection.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["PGUSER"] = connection.Username ?? "postgres",
            ["PGPASSWORD"] = connection.Password ?? "",
            ["PGDATABASE"] = connection.Database!,
        };
        return await RunProcessAsync("node", script, directory, variables);
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

    private static async Task<(int Code, string Output)> RunProcessAsync(string file, string arguments, string directory, IReadOnlyDictionary<string, string> environment)
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
