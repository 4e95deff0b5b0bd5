using Sluice.IntegrationTests.Infrastructure;

namespace Sluice.IntegrationTests.Observability;

/// <summary>
/// Two servers hosted in one process (as an app may host two, and as these tests do) each export only their own
/// measurements on <c>/metrics</c>: a meter is made per host by its <c>IMeterFactory</c>, but OpenTelemetry's listener
/// sees every meter of the process with the configured name.
/// </summary>
public sealed class MetricsIsolationTests(PostgresFixture postgres) : ServerTest(postgres)
{
    private readonly PostgresFixture _postgres = postgres;

    [Fact]
    public async Task A_server_in_the_same_process_exports_only_its_own_connections()
    {
        await using var otherDatabase = await _postgres.CreateDatabaseAsync();
        await using var other = await ServerHandle.StartAsync(otherDatabase);
        var opened = new List<TestClient>();
        try
        {
            for (var i = 0; i < 3; i++)
                opened.Add(await other.ConnectAsync());
            await WaitForConnectionsAsync(other, 3);

            var mine = new PrometheusText(await Server.Http.GetStringAsync("/metrics"));
            var theirs = new PrometheusText(await other.Http.GetStringAsync("/metrics"));
            Assert.Equal(3, theirs.Required("sluice_connections"));
            Assert.Equal(0, mine.Required("sluice_connections"));
        }
        finally
        {
            foreach (var client in opened)
                await client.DisposeAsync();
        }
    }

    private static async Task WaitForConnectionsAsync(ServerHandle server, int count)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while ((await server.StatsAsync()).GetProperty("connections").GetInt32() < count)
            await Task.Delay(20, timeout.Token);
    }
}
