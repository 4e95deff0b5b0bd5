using Microsoft.Playwright;
using Sluice.IntegrationTests.Infrastructure;

namespace Sluice.IntegrationTests.Dashboard;

/// <summary>The dashboard at <c>/</c> in headless Chromium: locked until the admin token is given, then live numbers, the tables list and its toggle, and the inspector.</summary>
public sealed class DashboardTests(PostgresFixture postgres) : ServerTest(postgres)
{
    private const string Token = "dashboard-admin-token";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    protected override string[] ServerArgs => ["--admin-token", Token];

    [Fact]
    public async Task Page_shows_live_numbers_toggles_tables_and_inspects_a_channel()
    {
        await CreateTableAsync("gadgets", "id bigint PRIMARY KEY, name text");
        await Database.ExecuteAsync("CREATE TABLE public.widgets (id bigint PRIMARY KEY)");

        var (playwright, browser) = await Browser.LaunchAsync();
        try
        {
            var page = await browser.NewPageAsync();
            var requests = new List<string>();
            page.Request += (_, request) => requests.Add(request.Url);
            page.SetDefaultTimeout((float)Patience.TotalMilliseconds);
            await page.GotoAsync(Server.HttpBase.ToString());

            // With an admin token configured the page shows nothing until it is given.
            await WaitForTextAsync(page, "#capture", text => text == "locked");
            Assert.True(await page.Locator("#locked").IsVisibleAsync());
            Assert.Equal("–", await Text(page, "#changes-total"));
            await WaitForTextAsync(page, "#tables-status", text => text.Contains("admin token", StringComparison.Ordinal));
            await page.FillAsync("#admin-token", Token);
            await page.Locator("#admin-token").DispatchEventAsync("change");

            // Live numbers: capture streams, and the change counter moves after writes.
            await WaitForTextAsync(page, "#capture", text => text == "streaming");
            Assert.False(await page.Locator("#locked").IsVisibleAsync());
            var before = long.Parse(await Text(page, "#changes-total"), System.Globalization.NumberStyles.AllowThousands, System.Globalization.CultureInfo.InvariantCulture);
            for (var id = 1; id <= 5; id++)
                await Database.ExecuteAsync("INSERT INTO gadgets VALUES ($1, 'warm-up')", (long)id);
            await WaitForTextAsync(page, "#changes-total",
                text => long.Parse(text, System.Globalization.NumberStyles.AllowThousands, System.Globalization.CultureInfo.InvariantCulture) >= before + 5);

            // The tables list appears with the token.
            await WaitForTextAsync(page, "tr[data-table='public.widgets'] td.state", text => text == "off");
            await WaitForTextAsync(page, "tr[data-table='public.gadgets'] td.state", text => text == "enabled");

            // The toggle enables realtime on widgets.
            await page.ClickAsync("tr[data-table='public.widgets'] button.toggle");
            await WaitForTextAsync(page, "tr[data-table='public.widgets'] td.state", text => text == "enabled");
            Assert.Equal(1L, await Database.ScalarAsync<long>("SELECT count(*) FROM realtime_tables() WHERE table_name = 'widgets'"));

            // The inspector shows an INSERT made through SQL.
            await page.FillAsync("#inspect-channel", "table:public.gadgets");
            await page.ClickAsync("#inspect-start");
            await WaitForTextAsync(page, "#inspect-status", text => text.StartsWith("subscribed", StringComparison.Ordinal));
            await Database.ExecuteAsync("INSERT INTO gadgets VALUES (100, 'inspected lamp')");
            var entry = page.Locator("#inspect-log .entry", new PageLocatorOptions { HasText = "inspected lamp" });
            await entry.WaitForAsync();
            Assert.Contains("INSERT", await entry.InnerTextAsync(), StringComparison.Ordinal);

            // Pause holds changes back; resume shows them; clear empties the log.
            await page.ClickAsync("#inspect-pause");
            await Database.ExecuteAsync("INSERT INTO gadgets VALUES (101, 'held back')");
            await WaitForTextAsync(page, "#inspect-status", text => text.Contains("1 change(s) held", StringComparison.Ordinal));
            Assert.Equal(0, await page.Locator("#inspect-log .entry", new PageLocatorOptions { HasText = "held back" }).CountAsync());
            await page.ClickAsync("#inspect-pause");
            await page.Locator("#inspect-log .entry", new PageLocatorOptions { HasText = "held back" }).WaitForAsync();
            if (Environment.GetEnvironmentVariable("SLUICE_DASHBOARD_SCREENSHOT") is { Length: > 0 } screenshot)
                await page.ScreenshotAsync(new PageScreenshotOptions { Path = screenshot, FullPage = true });
            await page.ClickAsync("#inspect-clear");
            Assert.Equal(0, await page.Locator("#inspect-log .entry").CountAsync());

            // Nothing was loaded from anywhere but this server.
            Assert.All(requests, url => Assert.StartsWith(Server.HttpBase.GetLeftPart(UriPartial.Authority), url, StringComparison.Ordinal));
        }
        finally
        {
            await browser.DisposeAsync();
            playwright.Dispose();
        }
    }

    private static async Task<string> Text(IPage page, string selector) => (await page.Locator(selector).InnerTextAsync()).Trim();

    private static async Task WaitForTextAsync(IPage page, string selector, Func<string, bool> condition)
    {
        var deadline = DateTime.UtcNow + Patience;
        var last = "";
        while (DateTime.UtcNow < deadline)
        {
            var locator = page.Locator(selector);
            if (await locator.CountAsync() > 0)
            {
                last = (await locator.First.InnerTextAsync()).Trim();
                if (condition(last))
                    return;
            }
            await Task.Delay(100);
        }
        throw new TimeoutException($"{selector} did not reach the expected text within {Patience.TotalSeconds} s; last: \"{last}\"");
    }
}
