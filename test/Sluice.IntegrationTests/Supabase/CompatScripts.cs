using System.Diagnostics;
using System.Text;
using Npgsql;
using Sluice.IntegrationTests.Infrastructure;

namespace Sluice.IntegrationTests.Supabase;

/// <summary>Runs a script of <c>test/compat</c> with node against a server and its database (<c>npm ci</c> first when needed).</summary>
internal static class CompatScripts
{
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(4);
    private static readonly SemaphoreSlim InstallLock = new(1, 1);

    public static Task<(int Code, string Output)> RunAsync(string script, ServerHandle server, TestDatabase database, IReadOnlyDictionary<string, string> environment) =>
        RunAsync(script, server.HttpBase, database, environment, onLine: null);

    /// <summary>
    /// Runs <paramref name="script"/>; every line it prints goes to <paramref name="onLine"/> (when given), whose answer,
    /// when not null, is written to the script's stdin as one line.
    /// </summary>
    public static async Task<(int Code, string Output)> RunAsync(string script, Uri httpBase, TestDatabase database, IReadOnlyDictionary<string, string> environment,
        Func<string, Task<string?>>? onLine)
    {
        var directory = Path.Combine(RepositoryRoot(), "test", "compat");
        await InstallLock.WaitAsync();
        try
        {
            // npm keeps a copy of the lockfile it installed; a newer package-lock.json (a checkout, a merge) means reinstall.
            var installed = new FileInfo(Path.Combine(directory, "node_modules", ".package-lock.json"));
            if (!installed.Exists || installed.LastWriteTimeUtc < File.GetLastWriteTimeUtc(Path.Combine(directory, "package-lock.json")))
            {
                var (installCode, installOutput) = await RunProcessAsync("npm", "ci --no-audit --no-fund", directory, new Dictionary<string, string>(), null);
                Assert.True(installCode == 0, "npm ci failed:\n" + installOutput);
            }
        }
        finally
        {
            InstallLock.Release();
        }
        var connection = new NpgsqlConnectionStringBuilder(database.ConnectionString);
        var variables = new Dictionary<string, string>(environment)
        {
            ["SLUICE_URL"] = httpBase.ToString().TrimEnd('/'),
            ["PGHOST"] = connection.Host!,
            ["PGPORT"] = connection.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["PGUSER"] = connection.Username ?? "postgres",
            ["PGPASSWORD"] = connection.Password ?? "",
            ["PGDATABASE"] = connection.Database!,
        };
        return await RunProcessAsync("node", script, directory, variables, onLine);
    }

    internal static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Sluice.slnx")))
                return directory.FullName;
        }
        throw new InvalidOperationException("Sluice.slnx not found above " + AppContext.BaseDirectory);
    }

    /// <summary>
    /// Runs <paramref name="file"/> in <paramref name="directory"/>; every line it prints goes to <paramref name="onLine"/>, whose
    /// answer (when not null) is written to its stdin. Killed after four minutes (a hang guard).
    /// </summary>
    internal static async Task<(int Code, string Output)> RunProcessAsync(string file, string arguments, string directory, IReadOnlyDictionary<string, string> environment,
        Func<string, Task<string?>>? onLine)
    {
        var start = new ProcessStartInfo(file, arguments)
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var (name, value) in environment)
            start.Environment[name] = value;
        using var process = Process.Start(start)!;
        var output = new StringBuilder();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(Limit);
        try
        {
            while (await process.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
            {
                lock (output)
                    output.AppendLine(line);
                if (onLine is not null && await onLine(line) is { } answer)
                {
                    await process.StandardInput.WriteLineAsync(answer.AsMemory(), timeout.Token);
                    await process.StandardInput.FlushAsync(timeout.Token);
                }
            }
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            return (-1, $"{file} {arguments} did not finish within {Limit}:\n{output}\n{await stderr}");
        }
        catch
        {
            process.Kill(entireProcessTree: true);
            throw;
        }
        return (process.ExitCode, output + await stderr);
    }
}
