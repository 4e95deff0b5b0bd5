using Npgsql;
using Sluice.IntegrationTests.Infrastructure;

namespace Sluice.IntegrationTests;

public sealed class SqlApiTests(PostgresFixture postgres) : ServerTest(postgres)
{
    [Fact]
    public async Task Only_the_table_owner_may_enable_or_disable_realtime()
    {
        var role = Database.Name + "_intruder";
        await Database.ExecuteAsync("CREATE TABLE public.guarded (id int PRIMARY KEY)");
        await Database.ExecuteAsync($"CREATE ROLE \"{role}\"");
        try
        {
            await using var connection = await Database.OpenAsync();
            await using (var become = new NpgsqlCommand($"SET SESSION AUTHORIZATION \"{role}\"", connection))
                await become.ExecuteNonQueryAsync();
            foreach (var function in new[] { "enable_realtime", "disable_realtime" })
            {
                await using var call = new NpgsqlCommand($"SELECT {function}('public', 'guarded')", connection);
                var error = await Assert.ThrowsAsync<PostgresException>(() => call.ExecuteNonQueryAsync());
                Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, error.SqlState);
            }
            await using var missing = new NpgsqlCommand("SELECT enable_realtime('public', 'no_such_table')", connection);
            Assert.Equal(PostgresErrorCodes.UndefinedTable, (await Assert.ThrowsAsync<PostgresException>(() => missing.ExecuteNonQueryAsync())).SqlState);
        }
        finally
        {
            NpgsqlConnection.ClearAllPools();
            await Database.ExecuteAsync($"DROP OWNED BY \"{role}\"");
            await Database.ExecuteAsync($"DROP ROLE \"{role}\"");
        }
        Assert.Equal(0L, await Database.ScalarAsync<long>("SELECT count(*) FROM realtime_tables() WHERE schema_name = 'public'"));
    }
}
