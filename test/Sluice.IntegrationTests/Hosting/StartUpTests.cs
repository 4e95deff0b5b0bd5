using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Npgsql.Replication;
using Npgsql.Replication.PgOutput;
using Sluice.IntegrationTests.Embedded;
using Sluice.IntegrationTests.Infrastructure;
using Sluice.Server.Embedded;

namespace Sluice.IntegrationTests.Hosting;

/// <summary>
/// Starting the real executable against databases that are not ready for it, or on a port that is taken: each ends
/// with one line on stderr that names the setting or switch and the fix, no stack trace, and a non-zero exit code.
/// </summary>
[Collection(IsolatedProcessesCollection.Name)]
public sealed class StartUpTests(PostgresFixture postgres)
{
    [Fact]
    public async Task A_postgresql_uri_with_query_parameters_is_accepted_as_the_database()
    {
        await using var database = await postgres.CreateDatabaseAsync();
        var connection = new NpgsqlConnectionStringBuilder(database.ConnectionString);
        var uri = $"postgresql://{Uri.EscapeDataString(connection.Username!)}:{Uri.EscapeDataString(connection.Password!)}@{connection.Host}:{connection.Port}"
            + $"/{database.Name}?application_name=sluice%20from%20a%20uri&sslmode=disable";

        await using var server = await ServerProcess.StartWithArgumentsAsync(
            "--database", uri, "--slot", database.SlotName, "--publication", database.PublicationName,
            // ASP.NET Core settings as switches keep working next to Sluice's own.
            "--environment", "Production", "--Logging:LogLevel:Default=Warning", "--Sluice:KeepAliveInterval", "00:00:20");

        Assert.Equal(1L, await database.ScalarAsync<long>(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'sluice from a uri' AND backend_type = 'walsender'"));
        // The server never prints the password (the test's own "--- starting" line echoes the arguments).
        Assert.DoesNotContain(connection.Password!, string.Join('\n', server.Output.Split('\n').Where(static line => !line.StartsWith("--- starting", StringComparison.Ordinal))), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_port_in_use_is_one_line_naming_the_port_and_the_switch_to_choose_another()
    {
        await using var database = await postgres.CreateDatabaseAsync();
        using var occupier = new TcpListener(IPAddress.Loopback, 0);
        occupier.Start();
        var port = ((IPEndPoint)occupier.LocalEndpoint).Port;

        await using var run = SluiceCommand.Start(
            "--database", database.ConnectionString, "--slot", database.SlotName, "--publication", database.PublicationName,
            "--urls", $"http://127.0.0.1:{port}");
        var exitCode = await run.WaitForExitAsync();

        AssertOneLineFailure(run, exitCode, $"{port}", "--urls");
    }

    [Fact]
    public async Task Wal_level_replica_is_one_line_naming_the_setting_and_the_fix()
    {
        using var data = new TemporaryDirectory();
        await using var cluster = await EmbeddedPostgres.StartAsync(new EmbeddedPostgresOptions
        {
            DataDirectory = data.Path,
            Durable = false,
            DeleteDataOnDispose = true,
            SettingOverrides = new Dictionary<string, string> { ["wal_level"] = "replica" },
        }, NullLogger.Instance);

        await using var run = SluiceCommand.Start("--database", cluster.ConnectionString, "--urls", FreeUrl());
        var exitCode = await run.WaitForExitAsync();

        AssertOneLineFailure(run, exitCode, "wal_level", "ALTER SYSTEM SET wal_level = logical", "restart");
    }

    [Fact]
    public async Task A_role_without_replication_is_one_line_naming_the_attribute_and_the_fix()
    {
        await using var database = await postgres.CreateDatabaseAsync();
        var role = "norepl_" + database.Name;
        await database.ExecuteAsync($"CREATE ROLE {role} LOGIN PASSWORD 'plain-password' NOREPLICATION");
        await database.ExecuteAsync($"ALTER DATABASE \"{database.Name}\" OWNER TO {role}");
        await database.ExecuteAsync($"ALTER SCHEMA public OWNER TO {role}");
        try
        {
            var connection = new NpgsqlConnectionStringBuilder(database.ConnectionString) { Username = role, Password = "plain-password" };
            await using var run = SluiceCommand.Start(
                "--database", connection.ConnectionString, "--slot", database.SlotName, "--publication", database.PublicationName, "--urls", FreeUrl());
            var exitCode = await run.WaitForExitAsync();

            AssertOneLineFailure(run, exitCode, "REPLICATION", $"ALTER ROLE {role} REPLICATION");
            Assert.DoesNotContain("plain-password", run.ToString(), StringComparison.Ordinal);
        }
        finally
        {
            await database.DisposeAsync();
            await using var admin = new NpgsqlConnection(postgres.AdminConnectionString);
            await admin.OpenAsync();
            await using var drop = new NpgsqlCommand($"DROP ROLE IF EXISTS {role}", admin);
            await drop.ExecuteNonQueryAsync();
        }
    }

    [Theory]
    [InlineData("SELECT pg_create_logical_replication_slot($1, 'test_decoding')", "test_decoding")]
    [InlineData("SELECT pg_create_physical_replication_slot($1)", "physical")]
    public async Task A_slot_of_another_kind_is_one_line_naming_the_slot_switch(string createSlot, string kind)
    {
        await using var database = await postgres.CreateDatabaseAsync();
        await database.ExecuteAsync(createSlot, database.SlotName);
        try
        {
            await using var run = SluiceCommand.Start(
                "--database", database.ConnectionString, "--slot", database.SlotName, "--publication", database.PublicationName, "--urls", FreeUrl());
            var exitCode = await run.WaitForExitAsync();

            AssertOneLineFailure(run, exitCode, database.SlotName, kind, "--slot");
        }
        finally
        {
            await database.ExecuteAsync("SELECT pg_drop_replication_slot($1)", database.SlotName); // physical slots belong to no database
        }
    }

    [Fact]
    public async Task A_slot_in_use_by_another_process_is_one_line_naming_the_process_and_the_slot_switch()
    {
        await using var database = await postgres.CreateDatabaseAsync();
        await database.ExecuteAsync($"CREATE PUBLICATION {database.PublicationName}");
        await database.ExecuteAsync("SELECT pg_create_logical_replication_slot($1, 'pgoutput')", database.SlotName);

        // Another client holds the slot: a replication stream that stays open for the whole test.
        using var stop = new CancellationTokenSource();
        await using var holder = new LogicalReplicationConnection(database.ConnectionString);
        await holder.Open();
        var holding = Task.Run(async () =>
        {
            try
            {
                await foreach (var _ in holder.StartReplication(
                    new PgOutputReplicationSlot(database.SlotName), new PgOutputReplicationOptions(database.PublicationName, PgOutputProtocolVersion.V1), stop.Token))
                {
                }
            }
            catch (OperationCanceledException)
            {
            }
        });
        var holderPid = 0;
        for (var poll = 0; poll < 1200 && holderPid == 0; poll++)
        {
            holderPid = await database.ScalarAsync<int?>("SELECT active_pid FROM pg_replication_slots WHERE slot_name = $1", database.SlotName) ?? 0;
            if (holderPid == 0)
                await Task.Delay(50);
        }
        Assert.NotEqual(0, holderPid);

        await using var run = SluiceCommand.Start(
            "--database", database.ConnectionString, "--slot", database.SlotName, "--publication", database.PublicationName, "--urls", FreeUrl());
        var exitCode = await run.WaitForExitAsync();

        AssertOneLineFailure(run, exitCode, database.SlotName, $"{holderPid}", "--slot");
        await stop.CancelAsync();
        await holding;
    }

    private static string FreeUrl() => $"http://127.0.0.1:{LoopbackPort.FindFree()}";

    /// <summary>Non-zero exit; stderr is exactly one line holding every fragment; no stack trace anywhere.</summary>
    private static void AssertOneLineFailure(SluiceCommand run, int exitCode, params string[] fragments)
    {
        Assert.True(exitCode != 0, $"exit code 0\n{run}");
        var lines = run.ErrorLines.Where(static line => line.Trim().Length > 0).ToList();
        Assert.True(lines.Count == 1, $"expected one line on stderr\n{run}");
        foreach (var fragment in fragments)
            Assert.True(lines[0].Contains(fragment, StringComparison.Ordinal), $"\"{fragment}\" is not in the error line\n{run}");
        Assert.DoesNotContain("   at ", run.ToString(), StringComparison.Ordinal);
    }
}
