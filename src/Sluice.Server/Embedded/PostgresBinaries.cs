using System.Diagnostics;
using System.Globalization;

namespace Sluice.Server.Embedded;

/// <summary>Finds a folder holding PostgreSQL's server binaries on this machine.</summary>
internal static class PostgresBinaries
{
    private static readonly string[] RequiredTools = ["initdb", "pg_ctl", "postgres"];

    public static string ExecutableSuffix => OperatingSystem.IsWindows() ? ".exe" : "";

    public static string Tool(string binDirectory, string name) =>
        Path.Combine(binDirectory, name + ExecutableSuffix);

    public static bool HasServerBinaries(string binDirectory)
    {
        foreach (var tool in RequiredTools)
        {
            if (!File.Exists(Tool(binDirectory, tool)))
            {
                return false;
            }
        }

        return true;
    }

    public static string? Find()
    {
        foreach (var candidate in Candidates())
        {
            if (HasServerBinaries(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    private static IEnumerable<string> Candidates()
    {
        if (FindOnPath("pg_config") is { } pgConfig && ReadPgConfigBinDirectory(pgConfig) is { } configured)
        {
            yield return configured;
        }

        if (FindOnPath("initdb") is { } initdb
            && Path.GetDirectoryName(File.ResolveLinkTarget(initdb, returnFinalTarget: true)?.FullName ?? initdb) is { } initdbFolder)
        {
            yield return initdbFolder;
        }

        foreach (var versioned in VersionedFolders("/usr/lib/postgresql", ""))
        {
            yield return Path.Combine(versioned, "bin");
        }

        yield return "/usr/local/pgsql/bin";

        foreach (var versioned in VersionedFolders("/usr", "pgsql-"))
        {
            yield return Path.Combine(versioned, "bin");
        }
    }

    /// <summary>Subfolders named <paramref name="prefix"/> plus a version, highest version first.</summary>
    private static IEnumerable<string> VersionedFolders(string parent, string prefix)
    {
        if (!Directory.Exists(parent))
        {
            return [];
        }

        var versions = new List<(decimal Version, string Path)>();
        foreach (var folder in Directory.EnumerateDirectories(parent, prefix + "*"))
        {
            var name = Path.GetFileName(folder)[prefix.Length..];
            if (decimal.TryParse(name, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var version))
            {
                versions.Add((version, folder));
            }
        }

        versions.Sort((left, right) => right.Version.CompareTo(left.Version));
        return versions.ConvertAll(entry => entry.Path);
    }

    private static string? FindOnPath(string tool)
    {
        var path = Environment.GetEnvironmentVariable("PATH");
        if (string.IsNullOrEmpty(path))
        {
            return null;
        }

        foreach (var folder in path.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(folder, tool + ExecutableSuffix);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    private static string? ReadPgConfigBinDirectory(string pgConfig)
    {
        try
        {
            var startInfo = new ProcessStartInfo(pgConfig, "--bindir")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            using var process = Process.Start(startInfo);
            if (process is null)
            {
                return null;
            }

            var standardError = process.StandardError.ReadToEndAsync();
            var bindir = process.StandardOutput.ReadToEnd().Trim();
            if (!process.WaitForExit(10_000))
            {
                process.Kill();
                return null;
            }

            standardError.Wait();
            return process.ExitCode == 0 && bindir.Length > 0 ? bindir : null;
        }
        catch (Exception exception) when (exception is System.ComponentModel.Win32Exception or IOException)
        {
            return null;
        }
    }
}
