using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Playwright;
using Sluice.IntegrationTests.Infrastructure;

namespace Sluice.IntegrationTests.Dashboard;

/// <summary>
/// The dashboard at <c>/</c> in headless Chromium: locked until the admin token is given, then live numbers, a chart
/// that survives a reload (served from the server's history), the tables list and its toggle, and the inspector with its
/// status line and compact, expandable change rows.
/// </summary>
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

            // Why the acknowledged LSN stays behind is explained next to it, with this server's window.
            Assert.Contains("retention window", await Text(page, "#ack-note"), StringComparison.Ordinal);
            Assert.Equal("10", await Text(page, "#ack-window"));

            // The chart's history is kept by the server: once it has sampled the writes, a reloaded page (which starts
            // with no figures of its own) draws them at once.
            await WaitForServerHistoryAsync(changes => changes >= before + 5);
            await page.ReloadAsync();
            await WaitForAttributeAsync(page, "#chart", "data-changes", value => long.Parse(value, System.Globalization.CultureInfo.InvariantCulture) >= 5);
            Assert.True(int.Parse(await page.Locator("#chart").GetAttributeAsync("data-history-points") ?? "0", System.Globalization.CultureInfo.InvariantCulture) > 1);
            await WaitForTextAsync(page, "#capture", text => text == "streaming");

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
            Assert.EndsWith("waiting for changes", await Text(page, "#inspect-status"), StringComparison.Ordinal);
            await Database.ExecuteAsync("INSERT INTO gadgets VALUES (100, 'inspected lamp')");
            var entry = page.Locator("#inspect-log .entry", new PageLocatorOptions { HasText = "inspected lamp" });
            await entry.WaitForAsync();
            Assert.Contains("INSERT", await entry.InnerTextAsync(), StringComparison.Ordinal);
            await WaitForTextAsync(page, "#inspect-status", text => text.Contains("— 1 change received, the last at", StringComparison.Ordinal));

            // Each change is one line; a click shows the whole change pretty-printed, and another hides it again.
            var line = entry.Locator("summary");
            var whole = entry.Locator("pre");
            Assert.False(await whole.IsVisibleAsync());
            var lineHeight = await line.EvaluateAsync<double>("e => parseFloat(getComputedStyle(e).lineHeight)");
            var collapsed = await entry.BoundingBoxAsync();
            Assert.True(collapsed!.Height < 2 * lineHeight, $"a change row is {collapsed.Height} px high, more than one {lineHeight} px line");
            await line.ClickAsync();
            await whole.WaitForAsync();
            var pretty = await whole.InnerTextAsync();
            Assert.Contains("\"name\": \"inspected lamp\"", pretty, StringComparison.Ordinal);
            Assert.Contains("offset ", pretty, StringComparison.Ordinal);
            await line.ClickAsync();
            await whole.WaitForAsync(new LocatorWaitForOptions { State = WaitForSelectorState.Hidden });

            // Pause holds changes back; resume shows them; clear empties the log.
            await page.ClickAsync("#inspect-pause");
            await Database.ExecuteAsync("INSERT INTO gadgets VALUES (101, 'held back')");
            await WaitForTextAsync(page, "#inspect-status", text => text.Contains("1 change(s) held", StringComparison.Ordinal));
            Assert.Equal(0, await page.Locator("#inspect-log .entry", new PageLocatorOptions { HasText = "held back" }).CountAsync());
            await page.ClickAsync("#inspect-pause");
            await page.Locator("#inspect-log .entry", new PageLocatorOptions { HasText = "held back" }).WaitForAsync();
            Assert.Contains("— 2 changes received, the last at", await Text(page, "#inspect-status"), StringComparison.Ordinal);
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

    /// <summary>Waits until the server's chart history (<c>/api/realtime/stats/history</c>) has sampled a change count that satisfies <paramref name="condition"/>.</summary>
    private async Task WaitForServerHistoryAsync(Func<long, bool> condition)
    {
        var deadline = DateTime.UtcNow + Patience;
        var last = -1L;
        while (DateTime.UtcNow < deadline)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/api/realtime/stats/history");
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", Token);
            using var response = await Server.Http.SendAsync(request);
            response.EnsureSuccessStatusCode();
            var samples = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("samples");
            if (samples.GetArrayLength() > 0)
            {
                last = samples[samples.GetArrayLength() - 1].GetProperty("changes_dispatched").GetInt64();
                if (condition(last))
                    return;
            }
            await Task.Delay(100);
        }
        throw new TimeoutException($"the server's history did not reach the expected change count within {Patience.TotalSeconds} s; last: {last}");
    }

    private static async Task WaitForAttributeAsync(IPage page, string selector, string attribute, Func<string, bool> condition)
    {
        var deadline = DateTime.UtcNow + Patience;
        string? last = null;
        while (DateTime.UtcNow < deadline)
        {
            last = await page.Locator(selector).GetAttributeAsync(attribute);
            if (last is not null && condition(last))
                return;
            await Task.Delay(100);
        }
        throw new TimeoutException($"{selector}[{attribute}] did not reach the expected value within {Patience.TotalSeconds} s; last: \"{last}\"");
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
