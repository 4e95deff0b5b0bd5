using Microsoft.Playwright;

namespace Sluice.IntegrationTests.Dashboard;

/// <summary>
/// Headless Chromium from the machine (Debian's <c>chromium</c>, installed by <c>./build.sh test</c>; or
/// <c>SLUICE_CHROMIUM</c>), driven by Playwright for .NET. Playwright gives each launch a fresh profile directory.
/// </summary>
public static class Browser
{
    private static readonly string[] Flags =
    [
        "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
    ];

    public static string ExecutablePath()
    {
        var path = Environment.GetEnvironmentVariable("SLUICE_CHROMIUM") is { Length: > 0 } configured ? configured : "/usr/bin/chromium";
        if (!File.Exists(path))
            throw new InvalidOperationException($"Chromium not found at {path}: install Debian's chromium package (./build.sh test does) or set SLUICE_CHROMIUM.");
        return path;
    }

    public static async Task<(IPlaywright Playwright, IBrowser Browser)> LaunchAsync()
    {
        var playwright = await Microsoft.Playwright.Playwright.CreateAsync();
        try
        {
            var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
            {
                ExecutablePath = ExecutablePath(),
                Headless = true,
                Args = Flags,
                Timeout = 60_000,
            });
            return (playwright, browser);
        }
        catch
        {
            playwright.Dispose();
            throw;
        }
    }
}
