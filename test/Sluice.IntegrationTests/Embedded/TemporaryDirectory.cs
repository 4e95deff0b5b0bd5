namespace Sluice.IntegrationTests.Embedded;

/// <summary>
/// A unique path under the temp folder (not created), removed on dispose if something is left: a PostgreSQL server
/// still running in it (a test that failed half-way) is killed first, and the lock file beside it goes too.
/// </summary>
public sealed class TemporaryDirectory : IDisposable
{
    public TemporaryDirectory()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "sluice-embedded-" + Guid.NewGuid().ToString("N")[..12]);
    }

    public string Path { get; }

    public void Dispose()
    {
        KillLeftoverPostmaster();
        for (var attempt = 1; Directory.Exists(Path); attempt++)
        {
            try
            {
                Directory.Delete(Path, recursive: true);
            }
            catch (IOException) when (attempt < 50)
            {
                Thread.Sleep(100); // a backend of a killed postmaster still writing on its way out
            }
        }

        File.Delete(Path + ".lock");
    }

    private void KillLeftoverPostmaster()
    {
        var pidFile = System.IO.Path.Combine(Path, "postmaster.pid");
        if (!File.Exists(pidFile)
            || !int.TryParse(File.ReadLines(pidFile).FirstOrDefault(), System.Globalization.CultureInfo.InvariantCulture, out var processId)
            || Sluice.Server.Embedded.ProcessProbe.Name(processId) is not ("postgres" or "postmaster"))
        {
            return;
        }

        try
        {
            using var postmaster = System.Diagnostics.Process.GetProcessById(processId);
            postmaster.Kill();
            postmaster.WaitForExit(TimeSpan.FromSeconds(30));
        }
        catch (Exception exception) when (exception is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            // Already gone.
        }
    }
}
