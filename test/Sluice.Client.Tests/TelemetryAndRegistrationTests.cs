using System.Diagnostics;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Sluice.Client.Tests.Fakes;

namespace Sluice.Client.Tests;

/// <summary>Meters and activity sources are process-wide: these tests run alone so other tests' measurements cannot count.</summary>
[Collection(Name)]
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TelemetryAndRegistrationTests
{
    private const string Name = "telemetry";

    [Fact]
    public async Task Messages_reconnects_and_lag_are_measured_and_connects_traced()
    {
        var measurements = new Recorder<string>();
        using var meters = new MeterListener();
        meters.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == SluiceClientDiagnostics.MeterName)
                listener.EnableMeasurementEvents(instrument);
        };
        meters.SetMeasurementEventCallback<long>((instrument, _, _, _) => measurements.Add(instrument.Name));
        meters.SetMeasurementEventCallback<double>((instrument, _, _, _) => measurements.Add(instrument.Name));
        meters.Start();
        var activities = new Recorder<string>();
        using var tracer = new ActivityListener
        {
            ShouldListenTo = source => source.Name == SluiceClientDiagnostics.ActivitySourceName,
            Sample = (ref _) => ActivitySamplingResult.AllData,
            ActivityStopped = activity => activities.Add(activity.OperationName),
        };
        ActivitySource.AddActivityListener(tracer);

        await using var server = await FakeServer.StartAsync();
        await using var client = TestClients.Create(server);
        var products = client.Table("public", "products");
        var seen = new Recorder<string>();
        products.OnChange(change => seen.Add(change.Offset));
        await client.StartAsync();
        var first = await server.NextConnectionAsync();
        await first.ReceiveSubscribeAsync();
        await first.AckAsync(Frames.Products);
        await first.SendAsync(Frames.Insert(Frames.Products, 1, new { id = 1 }));
        await seen.WaitForCountAsync(1, "the change");
        first.Abort();
        await server.NextConnectionAsync();

        await measurements.WaitForAsync(m => m.Contains("sluice.client.reconnects"), "a reconnect counted");
        Assert.Contains("sluice.client.messages", measurements.Items);
        Assert.Contains("sluice.client.lag", measurements.Items);
        await activities.WaitForAsync(a => a.Count(name => name == "sluice.connect") >= 2, "two connects traced");
        Assert.Contains("sluice.subscribe", activities.Items);
    }

    [Fact]
    public async Task AddSluiceClient_registers_one_client_that_logs_through_the_container()
    {
        var logged = new Recorder<string>();
        var services = new ServiceCollection();
        services.AddSingleton<ILoggerFactory>(new RecordingLoggerFactory(logged));
        // Nothing listens there: the start must not wait for a connection.
        services.AddSluiceClient(builder => builder.WithUrl("ws://127.0.0.1:1/realtime").WithBackgroundStart());
        await using var provider = services.BuildServiceProvider();

        var client = provider.GetRequiredService<SluiceClient>();
        Assert.Same(client, provider.GetRequiredService<SluiceClient>());
        Assert.Equal(new Uri("ws://127.0.0.1:1/realtime"), client.Url);

        // Nothing listens on port 1: the failed attempt is logged through the container's logger factory.
        await client.StartAsync();
        await logged.WaitForAsync(lines => lines.Any(line => line.Contains("failed", StringComparison.Ordinal)), "a connect failure logged");
    }

    [Fact]
    public async Task A_meter_factory_gives_the_client_its_own_meter()
    {
        await using var metrics = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var factory = metrics.GetRequiredService<IMeterFactory>();
        var scoped = new Recorder<string>();
        using var meters = new MeterListener();
        meters.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == SluiceClientDiagnostics.MeterName && ReferenceEquals(instrument.Meter.Scope, factory))
                listener.EnableMeasurementEvents(instrument);
        };
        meters.SetMeasurementEventCallback<long>((instrument, _, _, _) => scoped.Add(instrument.Name));
        meters.Start();

        await using var server = await FakeServer.StartAsync();
        await using var client = new SluiceClientBuilder().WithUrl(server.Url).WithMeterFactory(factory).Build();
        await client.StartAsync();
        await (await server.NextConnectionAsync()).SendAsync(Frames.Heartbeat());
        await scoped.WaitForAsync(m => m.Contains("sluice.client.messages"), "a message counted on the factory's meter");
    }

    private sealed class RecordingLoggerFactory(Recorder<string> lines) : ILoggerFactory
    {
        public ILogger CreateLogger(string categoryName) => new RecordingLogger(lines);

        public void AddProvider(ILoggerProvider provider)
        {
        }

        public void Dispose()
        {
        }
    }

    private sealed class RecordingLogger(Recorder<string> lines) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            lines.Add(formatter(state, exception));
    }
}
