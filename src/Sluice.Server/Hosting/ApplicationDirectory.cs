namespace Sluice.Server.Hosting;

/// <summary>
/// Where the server's own files are: the directory of its assembly, whatever the current directory (a shell at the
/// repository root, a service unit without <c>WorkingDirectory</c>). Its <c>appsettings.json</c> — which, among other
/// things, keeps ASP.NET Core's per-request log lines out of the log — is read from there.
/// </summary>
internal static class ApplicationDirectory
{
    /// <summary>Builder options with the content root (and so <c>appsettings*.json</c>) at <see cref="AppContext.BaseDirectory"/>.</summary>
    public static WebApplicationOptions BuilderOptions(string[] args) => new() { Args = args, ContentRootPath = AppContext.BaseDirectory };
}
