using System.Net.WebSockets;
using System.Diagnostics.Metrics;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using Sluice.Server.Connections;
using Sluice.Server.Observability;

namespace Sluice.Tests.Observability;

/// <summary>
/// The counters come from the host's <see cref="IMeterFactory"/> (registered by <c>AddSluice</c>): what one server counts is
/// seen through its host's factory, not through another host's in the same process.
/// </summary>
public sealed class SluiceMetricsTests
{
    private static WebApplication App()
    {
        var builder = WebApplication.CreateBuilder();
        builder.Services.AddSluice();
        return builder.Build();
    }

    private static ClientConnection Connection() =>
        new(WebSocket.CreateFromStream(new MemoryStream(), isServer: true, null, Timeout.InfiniteTimeSpan), 16, 1 << 20, NullLogger.Instance);

    [Fact]
    public async Task A_counter_bumped_by_one_server_is_seen_through_its_hosts_meter_factory_only()
    {
        await using var first = App();
        await using var second = App();
        using var firstOpened = new MetricCollector<long>(first.Services.GetRequiredService<IMeterFactory>(), SluiceTelemetry.MeterName, "sluice.connections.opened");
        using var secondOpened = new MetricCollector<long>(second.Services.GetRequiredService<IMeterFactory>(), SluiceTelemetry.MeterName, "sluice.connections.opened");

        // Both servers are up (their counters exist); the first accepts a connection (counted as the WebSocket endpoints do).
        var firstConnections = first.Services.GetRequiredService<ConnectionRegistry>();
        _ = second.Services.GetRequiredService<ConnectionRegistry>();
        firstConnections.Add(Connection());

        firstOpened.RecordObservableInstruments();
        secondOpened.RecordObservableInstruments();
        Assert.Equal(1, firstOpened.LastMeasurement?.Value);
        Assert.Equal(0, secondOpened.LastMeasurement?.Value);
        Assert.Same(first.Services.GetRequiredService<IMeterFactory>(), first.Services.GetRequiredService<SluiceMetrics>().Meter.Scope);
        Assert.Equal(1, first.Services.GetRequiredService<SluiceMetrics>().ConnectionsOpened);
        Assert.Equal(0, second.Services.GetRequiredService<SluiceMetrics>().ConnectionsOpened);
    }

    [Fact]
    public async Task Instrument_names_and_units_are_unchanged()
    {
        await using var app = App();
        var meter = app.Services.GetRequiredService<SluiceMetrics>().Meter;
        Assert.Equal("Sluice.Server", meter.Name);
        var instruments = new Dictionary<string, string?>();
        using (var listener = new MeterListener())
        {
            listener.InstrumentPublished = (instrument, _) =>
            {
                if (ReferenceEquals(instrument.Meter, meter))
                    instruments[instrument.Name] = instrument.Unit;
            };
            listener.Start();
        }
        Assert.Equal("s", instruments["sluice.capture.delay"]);
        Assert.Equal("s", instruments["sluice.rls.check.delay"]);
        Assert.Equal("{change}", instruments["sluice.changes.captured"]);
        Assert.Equal("{transaction}", instruments["sluice.transactions.captured"]);
        Assert.Equal("{frame}", instruments["sluice.deliveries"]);
        Assert.Equal("{frame}", instruments["sluice.drops"]);
        Assert.Equal("{connection}", instruments["sluice.slow_consumer.disconnects"]);
        Assert.Equal("{frame}", instruments["sluice.resyncs"]);
        Assert.Equal("{snapshot}", instruments["sluice.snapshots"]);
        Assert.Equal("{row}", instruments["sluice.snapshot.rows"]);
        Assert.Equal("{connection}", instruments["sluice.connections.opened"]);
    }
}
