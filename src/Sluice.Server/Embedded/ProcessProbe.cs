using System.Diagnostics;

namespace Sluice.Server.Embedded;

/// <summary>Asks the operating system about a process by id; zombies count as gone.</summary>
internal static class ProcessProbe
{
    public static bool IsAlive(int processId)
    {
        if (OperatingSystem.IsLinux())
        {
            var state = LinuxState(processId);
            return state is not null and not 'Z' and not 'X';
        }

        try
        {
            using var process = Process.GetProcessById(processId);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    /// <summary>The executable name (<c>/proc/PID/comm</c>) of a live process, or null when unknown.</summary>
    public static string? Name(int processId)
    {
        try
        {
            return OperatingSystem.IsLinux()
                ? File.ReadAllText($"/proc/{processId}/comm").Trim()
                : Process.GetProcessById(processId).ProcessName;
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or ArgumentException)
        {
            return null;
        }
    }

    /// <summary>Live processes whose working directory is <paramref name="directory"/> (Linux only; PostgreSQL's processes chdir to their data directory).</summary>
    public static List<int> WorkingIn(string directory)
    {
        var found = new List<int>();
        if (!OperatingSystem.IsLinux())
        {
            return found;
        }

        foreach (var entry in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(entry), out var processId))
            {
                continue;
            }

            try
            {
                var workingDirectory = Directory.ResolveLinkTarget(Path.Combine(entry, "cwd"), returnFinalTarget: false)?.FullName;
                if (string.Equals(workingDirectory, directory, StringComparison.Ordinal) && IsAlive(processId))
                {
                    found.Add(processId);
                }
            }
            catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
            {
                // The process ended meanwhile, or belongs to a user we may not inspect.
            }
        }

        return found;
    }

    /// <summary>A live process holding <paramref name="path"/> open (Linux only: its <c>/proc/PID/fd</c> links), or null.</summary>
    public static int? Holding(string path)
    {
        if (!OperatingSystem.IsLinux())
        {
            return null;
        }

        foreach (var entry in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(entry), out var processId) || processId == Environment.ProcessId)
            {
                continue;
            }

            try
            {
                foreach (var descriptor in Directory.EnumerateFileSystemEntries(Path.Combine(entry, "fd")))
                {
                    if (string.Equals(File.ResolveLinkTarget(descriptor, returnFinalTarget: false)?.FullName, path, StringComparison.Ordinal))
                    {
                        return processId;
                    }
                }
            }
            catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
            {
                // The process ended meanwhile, or belongs to a user we may not inspect.
            }
        }

        return null;
    }

    private static char? LinuxState(int processId)
    {
        try
        {
            // "PID (comm) S ...": comm may contain spaces and parentheses, the state follows the last ')'.
            var stat = File.ReadAllText($"/proc/{processId}/stat");
            var end = stat.LastIndexOf(')');
            return end >= 0 && end + 2 < stat.Length ? stat[end + 2] : null;
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
