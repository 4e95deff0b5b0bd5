using System.Net;
using System.Text.Json;
using Sluice.IntegrationTests.Gapless;
using Sluice.IntegrationTests.Infrastructure;

namespace Sluice.IntegrationTests.Observability;

/// <summary><c>/metrics</c> (Prometheus text from OpenTelemetry) and <c>/health/live</c>, <c>/health/ready</c>.</summary>
public sealed class MetricsAndHealthTests(PostgresFixture postgres) : ServerTest(postgres)
{
    private async Task<PrometheusText> ScrapeAsync()
    {
        using var response = await Server.Http.GetAsync("/metrics");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.StartsWith("text/plain", response.Content.Headers.ContentType?.MediaType ?? "", StringComparison.Ordinal);
        return new PrometheusText(await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Metrics_count_captured_changes_deliveries_snapshots_and_resyncs()
    {
        await CreateTableAsync("metered");
        var before = await ScrapeAsync();
        var client = await ConnectAsync();
        await client.SubscribeAsync("table:public.metered");
        for (var id = 1; id <= 3; id++)
            await Database.ExecuteAsync("INSERT INTO metered VALUES ($1, 'row')", (long)id);
        string offset = "";
        for (var id = 1; id <= 3; id++)
            offset = Frames.Offset(await client.NextChangeAsync());

        // A snapshot of the three rows, and a resume from another log epoch (a resync).
        var snapshotClient = await ConnectAsync();
        await snapshotClient.SendAsync(new { type = "subscribe", channel = "table:public.metered", snapshot = true });
        JsonElement frame;
        do
            frame = await snapshotClient.NextAsync();
        while (!(Frames.Type(frame) == "snapshot" && frame.GetProperty("last").GetBoolean()));
        var foreignEpoch = (offset[0] == '0' ? "1" : "0") + offset[1..];
        var resync = await ConnectAsync();
        var reply = await Frames.ResumeAsync(resync, "table:public.metered", foreignEpoch);
        Assert.Equal("resync_required", Frames.Type(reply));

        var after = await ScrapeAsync();
        Assert.True(after.Required("sluice_changes_captured_total") - (before.Value("sluice_changes_captured_total") ?? 0) >= 3, after.Text);
        Assert.True(after.Required("sluice_deliveries_total") - (before.Value("sluice_deliveries_total") ?? 0) >= 3, after.Text);
        Assert.True(after.Required("sluice_snapshot_rows_total") - (before.Value("sluice_snapshot_rows_total") ?? 0) >= 3, after.Text);
        Assert.True(after.Required("sluice_resyncs_total") - (before.Value("sluice_resyncs_total") ?? 0) >= 1, after.Text);
        Assert.True(after.Required("sluice_connections_opened_total") - (before.Value("sluice_connections_opened_total") ?? 0) >= 3, after.Text);
        Assert.True(after.Required("sluice_connections") >= 3, after.Text);
        Assert.True(after.Required("sluice_channels") >= 1, after.Text);
        Assert.Equal(1, after.Required("sluice_capture_streaming"));
        Assert.True(after.Required("sluice_capture_lag_seconds") >= 0, after.Text);
        Assert.True(after.Required("sluice_retention_changes") >= 3, after.Text);
        Assert.True(after.Required("sluice_slot_lag_bytes") >= 0, after.Text);
        Assert.True(after.Required("sluice_slot_retained_wal_bytes") >= 0, after.Text);
        // Present even when nothing happened yet.
        after.Required("sluice_drops_total");
        after.Required("sluice_slow_consumer_disconnects_total");
        after.Required("sluice_rls_checks_total");
        Assert.Contains("sluice_capture_delay_seconds_bucket", after.Text, StringComparison.Ordinal);

        // The stats endpoint reports deliveries and the capture lag too.
        var stats = await Server.StatsAsync();
        Assert.True(stats.GetProperty("deliveries").GetInt64() >= 3);
        Assert.True(stats.GetProperty("capture_lag_seconds").GetDouble() >= 0);
    }

    [Fact]
    public async Task Live_always_answers_and_ready_only_while_capture_streams()
    {
        using (var live = await Server.Http.GetAsync("/health/live"))
            Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        using (var ready = await Server.Http.GetAsync("/health/ready"))
        {
            Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
            using var body = JsonDocument.Parse(await ready.Content.ReadAsStringAsync());
            Assert.Equal("healthy", body.RootElement.GetProperty("status").GetString());
        }

        // Cut the replication connection until readiness drops (capture retries after a pause), then see it come back.
        var sawUnready = false;
        for (var attempt = 0; attempt < 20 && !sawUnready; attempt++)
        {
            await Database.ExecuteAsync("SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE slot_name = $1 AND active", Database.SlotName);
            for (var poll = 0; poll < 50 && !sawUnready; poll++)
            {
                using var ready = await Server.Http.GetAsync("/health/ready");
                if (ready.StatusCode == HttpStatusCode.ServiceUnavailable)
                {
                    sawUnready = true;
                    using var body = JsonDocument.Parse(await ready.Content.ReadAsStringAsync());
                    Assert.Equal("unhealthy", body.RootElement.GetProperty("status").GetString());
                    using var live = await Server.Http.GetAsync("/health/live");
                    Assert.Equal(HttpStatusCode.OK, live.StatusCode);
                }
                else
                    await Task.Delay(10);
            }
        }
        Assert.True(sawUnready, "/health/ready never answered 503 while the replication connection was cut");

        for (var poll = 0; poll < 600; poll++)
        {
            using var ready = await Server.Http.GetAsync("/health/ready");
            if (ready.StatusCode == HttpStatusCode.OK)
                return;
            await Task.Delay(50);
        }
        Assert.Fail("/health/ready did not recover after capture reconnected");
    }
}
