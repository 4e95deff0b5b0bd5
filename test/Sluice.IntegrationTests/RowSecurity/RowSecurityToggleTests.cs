using Sluice.IntegrationTests.Infrastructure;

namespace Sluice.IntegrationTests.RowSecurity;

/// <summary>
/// Issue 15, item 2: whether a table has row-level security is read for every dispatched change, never from a cache: a
/// row committed after <c>ENABLE ROW LEVEL SECURITY</c> returned is filtered, as PostgreSQL filters it at once.
/// </summary>
public sealed class RowSecurityToggleTests(PostgresFixture postgres) : FailClosedTest(postgres)
{
    [Theory]
    [InlineData(Wire.Native)]
    [InlineData(Wire.Supabase)]
    public async Task Rows_committed_after_row_level_security_is_enabled_are_filtered_at_once(Wire wire)
    {
        await CreateMessagesAsync();
        await Database.ExecuteAsync("ALTER TABLE public.messages DISABLE ROW LEVEL SECURITY");
        var anonymous = await SubscribeAsync(wire, null, "messages", "notices");
        var organization1 = await SubscribeAsync(wire, TokenFor(1), "messages", "notices");

        // Without row-level security everyone sees every row; delivering this one made the server look at the table.
        await InsertAsync(1, 2, "open to all");
        await anonymous.UntilRowAsync("body", "open to all");
        await organization1.UntilRowAsync("body", "open to all");

        await using (var connection = await Database.OpenAsync())
        {
            await using var enable = new Npgsql.NpgsqlCommand("ALTER TABLE public.messages ENABLE ROW LEVEL SECURITY", connection);
            await enable.ExecuteNonQueryAsync();
            await using var secret = new Npgsql.NpgsqlCommand($"INSERT INTO public.messages VALUES (2, 2, '{Secret}')", connection);
            await secret.ExecuteNonQueryAsync();
        }
        await InsertAsync(3, 1, "marker");
        await InsertNoticeAsync(99, "marker");

        AssertNeverDelivered(await anonymous.UntilAsync(d => d.IsChange && d.Table == "notices"), Secret, "the anonymous subscriber");
        var seen = await organization1.UntilAsync(d => d.IsChange && d.Table == "notices");
        AssertNeverDelivered(seen, Secret, "organization 1's member");
        Assert.Contains(seen, d => d.IsChange && d.Value("body") == "marker" && d.Table == "messages");
    }
}
