namespace Sluice.Server.Embedded;

/// <summary>
/// The operating-system account the cluster's binaries run as. PostgreSQL refuses to run as root, so a
/// root process runs them as the unprivileged <c>postgres</c> user through <c>runuser</c>.
/// </summary>
internal sealed class ClusterAccount
{
    public const string UnprivilegedUser = "postgres";

    private static readonly ClusterAccount CurrentUser = new(runAsUser: null);

    private ClusterAccount(string? runAsUser) => RunAsUser = runAsUser;

    /// <summary>The user the binaries run as, or null for the current user.</summary>
    public string? RunAsUser { get; }

    public static bool IsRoot => !OperatingSystem.IsWindows() && Environment.IsPrivilegedProcess;

    public static async Task<ClusterAccount> ForCurrentProcessAsync(CancellationToken cancellationToken)
    {
        if (!IsRoot)
        {
            return CurrentUser;
        }

        if (!OperatingSystem.IsLinux())
        {
            throw new EmbeddedPostgresException(
                "PostgreSQL refuses to run as root and this process is root: run Sluice as an ordinary user, "
                + "or pass --database postgresql://user:password@host:5432/db to use an existing server.");
        }

        var lookup = await ToolRunner.RunAsync("id", ["-u", UnprivilegedUser], cancellationToken).ConfigureAwait(false);
        if (!lookup.Succeeded)
        {
            throw new EmbeddedPostgresException(
                $"PostgreSQL refuses to run as root and this process is root, but there is no '{UnprivilegedUser}' system user "
                + "to run it as: install the server (`apt-get install postgresql` creates the user), "
                + $"create the user (`useradd --system --create-home {UnprivilegedUser}`), or run Sluice as an ordinary user.");
        }

        return new ClusterAccount(UnprivilegedUser);
    }

    public Task<ToolResult> RunAsync(string executable, IEnumerable<string> arguments, CancellationToken cancellationToken) =>
        RunAsUser is null
            ? ToolRunner.RunAsync(executable, arguments, cancellationToken)
            : ToolRunner.RunAsync("runuser", ["-u", RunAsUser, "--", executable, .. arguments], cancellationToken);

    /// <summary>Hands files this (root) process created to the account the cluster runs as.</summary>
    public async Task GrantAsync(IEnumerable<string> paths, CancellationToken cancellationToken)
    {
        if (RunAsUser is null)
        {
            return;
        }

        var result = await ToolRunner.RunAsync("chown", [RunAsUser + ":", .. paths], cancellationToken).ConfigureAwait(false);
        if (!result.Succeeded)
        {
            throw new EmbeddedPostgresException($"Could not hand the cluster's files to the '{RunAsUser}' user: {result.Output}");
        }
    }

    /// <summary>Fails with a clear message when the account cannot reach and write <paramref name="directory"/>.</summary>
    public async Task EnsureCanUseAsync(string directory, CancellationToken cancellationToken)
    {
        if (RunAsUser is null)
        {
            return;
        }

        var probe = await RunAsync("test", ["-w", directory, "-a", "-x", directory], cancellationToken).ConfigureAwait(false);
        if (probe.Succeeded)
        {
            return;
        }

        var blocking = FirstClosedAncestor(directory);
        var reason = blocking is null
            ? "it is not writable by that user"
            : $"'{blocking}' is not traversable by other users";
        throw new EmbeddedPostgresException(
            $"PostgreSQL runs as the '{RunAsUser}' user because this process is root, but it cannot use the data directory "
            + $"'{directory}': {reason}. Choose a data directory outside private folders such as /root "
            + "(the default for root is /var/lib/sluice/postgres).");
    }

    private static string? FirstClosedAncestor(string directory)
    {
        for (var ancestor = Path.GetDirectoryName(directory); ancestor is not null; ancestor = Path.GetDirectoryName(ancestor))
        {
            if (!OperatingSystem.IsWindows() && (File.GetUnixFileMode(ancestor) & UnixFileMode.OtherExecute) == 0)
            {
                return ancestor;
            }
        }

        return null;
    }
}
