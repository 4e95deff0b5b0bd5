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

    /// <summary>
    /// The read of whether tables have row-level security keeps one connection of its own (issue 20): when that connection is
    /// cut, delivery waits, the next read opens a new connection, and a table that became protected meanwhile is judged.
    /// </summary>
    [Fact]
    public async Task The_protection_read_survives_its_connection_being_cut()
    {
        await CreateMessagesAsync();
        await Database.ExecuteAsync("ALTER TABLE public.messages DISABLE ROW LEVEL SECURITY");
        var organization1 = await SubscribeAsync(Wire.Native, TokenFor(1), "messages");
        await InsertAsync(1, 2, "open to all");
        await organization1.UntilRowAsync("body", "open to all");

        // Every connection the server holds to the database but its replication stream: the protection read's among them.
        await Database.ExecuteAsync("""
            SELECT pg_terminate_backend(pid) FROM pg_stat_activity
            WHERE datname = current_database() AND backend_type = 'client backend' AND pid <> pg_backend_pid()
            """);
        // The test's own idle pooled connections were cut too.
        Npgsql.NpgsqlConnection.ClearAllPools();
        await Database.ExecuteAsync("ALTER TABLE public.messages ENABLE ROW LEVEL SECURITY");
        await InsertAsync(2, 2, Secret);
        await InsertAsync(3, 1, "marker");

        var seen = await organization1.UntilAsync(d => d.IsChange && d.Value("body") == "marker");
        AssertNeverDelivered(seen, Secret, "organization 1's member");
    }
}
