using System.Globalization;

namespace Sluice.Server.Embedded;

/// <summary>
/// Ownership of a data directory: the file <c>{data directory}.lock</c> beside it, held open with an exclusive lock
/// (flock on Linux) by the one process that runs the cluster, for as long as it runs it. A second launcher finds it
/// locked and stops before touching anything, naming the owner's process; the operating system drops the lock when
/// the owner dies, so the leftover server of a killed owner is still recovered. The file lives beside the directory
/// because initdb needs an empty directory.
/// </summary>
internal sealed class DataDirectoryLock : IDisposable
{
    private const UnixFileMode TraversableDirectory = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
        | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute;

    private readonly FileStream _file;

    private DataDirectoryLock(FileStream file, string path)
    {
        _file = file;
        Path = path;
    }

    /// <summary>The lock file.</summary>
    public string Path { get; }

    public static string PathFor(string dataDirectory) => dataDirectory + ".lock";

    /// <exception cref="EmbeddedPostgresException">Another live process holds the lock, or the lock file cannot be created.</exception>
    public static DataDirectoryLock Acquire(string dataDirectory)
    {
        var path = PathFor(dataDirectory);
        if (System.IO.Path.GetDirectoryName(dataDirectory) is { } parent && !Directory.Exists(parent))
        {
            // Parents stay traversable so an unprivileged server account can reach the data directory.
            if (OperatingSystem.IsWindows())
                Directory.CreateDirectory(parent);
            else
                Directory.CreateDirectory(parent, TraversableDirectory);
        }

        FileStream file;
        try
        {
            file = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException) when (File.Exists(path))
        {
            var owner = OwnerOf(path);
            throw new EmbeddedPostgresException(
                $"The embedded PostgreSQL in '{dataDirectory}' belongs to {owner}: stop that server first, "
                + "or give this one its own data directory with --data-dir <folder>.");
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            throw new EmbeddedPostgresException(
                $"Cannot create the lock file '{path}' beside the data directory ({exception.Message}): "
                + "choose a data directory (--data-dir) in a folder this user can write.", exception);
        }

        // For people looking: who holds it. Nothing reads it back (a locked file cannot be read by another process).
        file.SetLength(0);
        var pid = System.Text.Encoding.UTF8.GetBytes(Environment.ProcessId.ToString(CultureInfo.InvariantCulture) + "\n");
        file.Write(pid);
        file.Flush(flushToDisk: false);
        return new DataDirectoryLock(file, path);
    }

    /// <summary>Releases the lock; with <paramref name="deleteFile"/> (throwaway clusters) the file goes too.</summary>
    public void Release(bool deleteFile)
    {
        if (deleteFile)
        {
            try
            {
                File.Delete(Path); // while still held, so no one locks a file that is about to vanish
            }
            catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
            {
                // Left behind: harmless, the next owner locks it again.
            }
        }

        _file.Dispose();
    }

    public void Dispose() => Release(deleteFile: false);

    private static string OwnerOf(string path) => ProcessProbe.Holding(path) is { } processId
        ? $"the running Sluice process {processId.ToString(CultureInfo.InvariantCulture)}"
        : "another running Sluice process";
}
