using System.Globalization;

namespace Sluice.Server.Embedded;

/// <summary>
/// Removes the <c>postmaster.pid</c> a killed server left behind when PostgreSQL would not cope alone:
/// where nothing reaps orphans (a container whose init does not), the dead postmaster stays a zombie
/// that still "exists", and PostgreSQL then refuses to start with "lock file already exists".
/// </summary>
internal static class StaleLockFile
{
    private const string FileName = "postmaster.pid";
    private static readonly TimeSpan OrphanGracePeriod = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(100);

    public static int? ReadPostmasterId(string dataDirectory)
    {
        try
        {
            using var reader = new StreamReader(Path.Combine(dataDirectory, FileName));
            return int.TryParse(reader.ReadLine(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var processId)
                ? processId
                : null;
        }
        catch (Exception exception) when (exception is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
    }

    public static async Task RemoveIfStaleAsync(string dataDirectory, ILogger logger, CancellationToken cancellationToken)
    {
        if (ReadPostmasterId(dataDirectory) is not { } processId)
        {
            return;
        }

        if (ProcessProbe.IsAlive(processId) && ProcessProbe.Name(processId) is "postgres" or "postmaster" or null)
        {
            return; // A running (or unknowable) server: leave the decision to PostgreSQL.
        }

        // Backends of a killed postmaster notice its death and exit; never start beside one still attached.
        var deadline = DateTime.UtcNow + OrphanGracePeriod;
        while (ProcessProbe.WorkingIn(dataDirectory) is { Count: > 0 } orphans)
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new EmbeddedPostgresException(
                    $"Processes {string.Join(", ", orphans)} of a previous PostgreSQL server still use '{dataDirectory}'; stop them and retry.");
            }

            await Task.Delay(PollInterval, cancellationToken).ConfigureAwait(false);
        }

        EmbeddedPostgresLog.RemovingStaleLockFile(logger, processId, dataDirectory);
        File.Delete(Path.Combine(dataDirectory, FileName));
    }
}
