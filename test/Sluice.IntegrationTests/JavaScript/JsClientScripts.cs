using System.Text.Json;
using Sluice.IntegrationTests.Supabase;

namespace Sluice.IntegrationTests.JavaScript;

/// <summary>
/// Runs the scripts of <c>clients/js/test/integration</c> with node against a real server: installs the workspace from its
/// lockfile when needed (<c>npm ci</c>) and builds <c>@sluice/client</c> and <c>@sluice/react</c> once per test run, so a
/// script always exercises the packages as they are in this checkout.
/// </summary>
internal static class JsClientScripts
{
    private static readonly SemaphoreSlim BuildLock = new(1, 1);
    private static bool _built;

    public static string WorkspaceDirectory => Path.Combine(CompatScripts.RepositoryRoot(), "clients", "js");

    /// <summary><c>npm ci</c> when node_modules is missing or older than the lockfile, then <c>npm run build</c>, once per test process.</summary>
    public static async Task EnsureBuiltAsync()
    {
        await BuildLock.WaitAsync();
        try
        {
            if (_built)
                return;
            await InstallAsync(WorkspaceDirectory);
            var packages = Path.Combine(WorkspaceDirectory, "packages");
            // ./build.sh builds before the tests; a build older than any source (or missing) is made again here.
            if (!IsUpToDate([Path.Combine(packages, "client", "dist", "index.js"), Path.Combine(packages, "react", "dist", "index.js")],
                    [Path.Combine(packages, "client", "src"), Path.Combine(packages, "react", "src")]))
            {
                var (code, output) = await CompatScripts.RunProcessAsync("npm", "run build", WorkspaceDirectory, new Dictionary<string, string>(), null);
                Assert.True(code == 0, "npm run build (clients/js) failed:\n" + output);
            }
            _built = true;
        }
        finally
        {
            BuildLock.Release();
        }
    }

    /// <summary>Whether every output exists and is newer than every file under the inputs (files or folders).</summary>
    public static bool IsUpToDate(IEnumerable<string> outputs, IEnumerable<string> inputs)
    {
        var oldestOutput = DateTime.MaxValue;
        foreach (var output in outputs)
        {
            if (!File.Exists(output))
                return false;
            var written = File.GetLastWriteTimeUtc(output);
            if (written < oldestOutput)
                oldestOutput = written;
        }
        var newestInput = inputs.SelectMany(input => Directory.Exists(input) ? Directory.EnumerateFiles(input, "*", SearchOption.AllDirectories) : [input])
            .Where(File.Exists)
            .Select(File.GetLastWriteTimeUtc)
            .DefaultIfEmpty(DateTime.MinValue)
            .Max();
        return newestInput < oldestOutput;
    }

    /// <summary><c>npm ci</c> in <paramref name="directory"/> unless node_modules was installed from the current lockfile.</summary>
    public static async Task InstallAsync(string directory)
    {
        // npm keeps a copy of the lockfile it installed; a newer package-lock.json (a checkout, a merge) means reinstall.
        var installed = new FileInfo(Path.Combine(directory, "node_modules", ".package-lock.json"));
        if (installed.Exists && installed.LastWriteTimeUtc >= File.GetLastWriteTimeUtc(Path.Combine(directory, "package-lock.json")))
            return;
        var (code, output) = await CompatScripts.RunProcessAsync("npm", "ci --no-audit --no-fund", directory, new Dictionary<string, string>(), null);
        Assert.True(code == 0, $"npm ci in {directory} failed:\n{output}");
    }

    /// <summary>
    /// Runs <c>test/integration/<paramref name="script"/></c> with <c>SLUICE_URL</c> set to the server; <paramref name="onLine"/> answers
    /// the script's request lines. Returns its exit code and everything it printed.
    /// </summary>
    public static async Task<(int Code, string Output)> RunAsync(string script, Uri httpBase, IReadOnlyDictionary<string, string>? environment = null,
        Func<string, Task<string?>>? onLine = null)
    {
        await EnsureBuiltAsync();
        var variables = new Dictionary<string, string>(environment ?? new Dictionary<string, string>())
        {
            ["SLUICE_URL"] = httpBase.ToString().TrimEnd('/'),
        };
        return await CompatScripts.RunProcessAsync("node", Path.Combine("test", "integration", script), WorkspaceDirectory, variables, onLine);
    }

    /// <summary>The table's rows as the JSON object <c>{"id": version, …}</c> the chaos script compares with.</summary>
    public static async Task<string> VersionsJsonAsync(Gapless.VersionedTable table)
    {
        var versions = await table.ReadVersionsAsync();
        return JsonSerializer.Serialize(versions.ToDictionary(pair => pair.Key.ToString(System.Globalization.CultureInfo.InvariantCulture), pair => pair.Value));
    }
}
