using System.Security.Cryptography;

namespace Sluice.Server.Embedded;

/// <summary>Creates the data directory, runs initdb once, and keeps the superuser's password beside the data.</summary>
internal static class ClusterDirectory
{
    public const string Superuser = "postgres";
    private const string PasswordFileName = "sluice-superuser-password";
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode OwnerOnlyDirectory = OwnerOnly | UnixFileMode.UserExecute;
    private const UnixFileMode TraversableDirectory = OwnerOnlyDirectory
        | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute;

    public static bool IsInitialized(string dataDirectory) => File.Exists(Path.Combine(dataDirectory, "PG_VERSION"));

    public static string LogFile(string dataDirectory) => Path.Combine(dataDirectory, "log", "postgres.log");

    /// <summary>
    /// Creates a missing data directory (owner-only, as PostgreSQL demands), hands a not yet initialized one
    /// to the server account, and checks that account can use it.
    /// </summary>
    public static async Task PrepareAsync(string dataDirectory, ClusterAccount account, CancellationToken cancellationToken)
    {
        if (!Directory.Exists(dataDirectory))
        {
            if (Path.GetDirectoryName(dataDirectory) is { } parent && !OperatingSystem.IsWindows())
            {
                // Parents stay traversable so an unprivileged server account can reach the data directory.
                Directory.CreateDirectory(parent, TraversableDirectory);
            }

            if (OperatingSystem.IsWindows())
            {
                Directory.CreateDirectory(dataDirectory);
            }
            else
            {
                Directory.CreateDirectory(dataDirectory, OwnerOnlyDirectory);
            }
        }

        if (!IsInitialized(dataDirectory))
        {
            // A folder root created (now, or before as an empty target) must belong to the server account.
            await account.GrantAsync([dataDirectory], cancellationToken).ConfigureAwait(false);
        }

        await account.EnsureCanUseAsync(dataDirectory, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Runs initdb with a new random superuser password and returns that password.</summary>
    public static async Task<string> InitializeAsync(
        string dataDirectory, string binDirectory, ClusterAccount account, CancellationToken cancellationToken)
    {
        if (Directory.EnumerateFileSystemEntries(dataDirectory).Any())
        {
            throw new EmbeddedPostgresException(
                $"The data directory '{dataDirectory}' is not empty but holds no PostgreSQL cluster (no PG_VERSION file); "
                + "choose an empty or missing directory.");
        }

        var password = RandomNumberGenerator.GetHexString(40, lowercase: true);
        var passwordInput = Path.GetTempFileName();
        try
        {
            await WriteSecretAsync(passwordInput, password, account, cancellationToken).ConfigureAwait(false);
            var initdb = await account.RunAsync(
                PostgresBinaries.Tool(binDirectory, "initdb"),
                ["-D", dataDirectory, "-U", Superuser, "--auth=scram-sha-256", "--pwfile=" + passwordInput,
                    "--encoding=UTF8", "--locale=C"],
                cancellationToken).ConfigureAwait(false);
            if (!initdb.Succeeded)
            {
                throw new EmbeddedPostgresException(
                    $"initdb failed for '{dataDirectory}' (exit code {initdb.ExitCode}):{Environment.NewLine}{initdb.Output}");
            }
        }
        finally
        {
            File.Delete(passwordInput);
        }

        await WriteSecretAsync(PasswordFile(dataDirectory), password, account, cancellationToken).ConfigureAwait(false);
        return password;
    }

    public static string ReadPassword(string dataDirectory)
    {
        var file = PasswordFile(dataDirectory);
        if (!File.Exists(file))
        {
            throw new EmbeddedPostgresException(
                $"The PostgreSQL cluster in '{dataDirectory}' has no '{PasswordFileName}' file, so it was not created by Sluice "
                + "or lost its superuser password: use another data directory, or delete this one to start afresh.");
        }

        return File.ReadAllText(file).Trim();
    }

    /// <summary>Creates the folder of the server log, owned by the account that writes it.</summary>
    public static async Task EnsureLogFolderAsync(string dataDirectory, ClusterAccount account, CancellationToken cancellationToken)
    {
        var folder = Path.GetDirectoryName(LogFile(dataDirectory))!;
        if (Directory.Exists(folder))
        {
            return;
        }

        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(folder);
        }
        else
        {
            Directory.CreateDirectory(folder, OwnerOnlyDirectory);
        }

        await account.GrantAsync([folder], cancellationToken).ConfigureAwait(false);
    }

    private static string PasswordFile(string dataDirectory) => Path.Combine(dataDirectory, PasswordFileName);

    private static async Task WriteSecretAsync(string path, string secret, ClusterAccount account, CancellationToken cancellationToken)
    {
        if (!OperatingSystem.IsWindows())
        {
            File.Create(path).Dispose();
            File.SetUnixFileMode(path, OwnerOnly);
        }

        await File.WriteAllTextAsync(path, secret + "\n", cancellationToken).ConfigureAwait(false);
        await account.GrantAsync([path], cancellationToken).ConfigureAwait(false);
    }
}
