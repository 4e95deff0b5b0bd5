using Sluice.IntegrationTests.Infrastructure;
using Xunit.Abstractions;

namespace Sluice.IntegrationTests.JavaScript;

/// <summary>
/// <c>@sluice/client</c>'s live table over rows larger than the server's maximum record size (4 KiB here): the snapshot and
/// the changes carry them reduced, and the live table reads them whole by key over HTTP (clients/js/test/integration/too-large.mjs).
/// </summary>
public sealed class JsClientTooLargeTests(PostgresFixture postgres, ITestOutputHelper output) : ServerTest(postgres)
{
    protected override string[] ServerArgs => ["--max-record-bytes", "4096"];

    [Fact]
    public async Task A_live_table_holds_whole_rows_that_arrived_reduced()
    {
        await CreateTableAsync("docs", "id bigint PRIMARY KEY, title text, body text");
        await Database.ExecuteAsync("INSERT INTO public.docs VALUES (1, 'first', 'small'), (2, 'two', repeat('2', 10000)), (3, 'three', repeat('3', 20000))");
        var (code, text) = await JsClientScripts.RunAsync("too-large.mjs", Server.HttpBase, onLine: async line =>
        {
            if (line != "CHANGE")
                return null;
            await Database.ExecuteAsync("UPDATE public.docs SET title = 'updated', body = repeat('7', 30000) WHERE id = 2");
            await Database.ExecuteAsync("INSERT INTO public.docs VALUES (4, 'four', 'small')");
            return "CHANGED";
        });
        output.WriteLine(text);
        Assert.True(code == 0, "too-large.mjs failed:\n" + text);
        Assert.Contains("ok - the snapshot's reduced rows are held whole once ready", text);
        Assert.Contains("ok - a reduced update is read whole by key and applied in order", text);
    }
}
