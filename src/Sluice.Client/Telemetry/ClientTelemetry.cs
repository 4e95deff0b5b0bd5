using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Sluice.Client.Telemetry;

/// <summary>
/// The client's one <see cref="ActivitySource"/> and its metrics: from the container's <see cref="IMeterFactory"/> when
/// one is configured (so each host's meters are its own), else from one process-wide meter shared by every client.
/// </summary>
internal sealed class ClientTelemetry
{
    private static readonly string? Version = typeof(ClientTelemetry).Assembly.GetName().Version?.ToString();

    public static readonly ActivitySource ActivitySource = new(SluiceClientDiagnostics.ActivitySourceName, Version);

    private static readonly ClientTelemetry Shared = new(new Meter(SluiceClientDiagnostics.MeterName, Version));

    private ClientTelemetry(Meter meter)
    {
        Messages = meter.CreateCounter<long>("sluice.client.messages", "{message}", "Frames received from the server, by type.");
        Reconnects = meter.CreateCounter<long>("sluice.client.reconnects", "{reconnect}", "Connections lost and re-established.");
        Resyncs = meter.CreateCounter<long>("sluice.client.resyncs", "{resync}", "resync_required answers: a fresh snapshot was needed.");
        Lag = meter.CreateHistogram<double>("sluice.client.lag", "ms", "Time from a change's commit to its arrival at the client.");
        HandlerErrors = meter.CreateCounter<long>("sluice.client.handler_errors", "{error}", "Exceptions thrown by application handlers.");
        BufferOverflows = meter.CreateCounter<long>("sluice.client.buffer_overflows", "{overflow}", "Channels paused because their handlers fell behind.");
        FallbackRefreshes = meter.CreateCounter<long>("sluice.client.fallback_refreshes", "{refresh}", "HTTP snapshot refreshes in fallback mode.");
        Broadcasts = meter.CreateCounter<long>("sluice.client.broadcasts", "{message}", "Messages broadcast to rooms by this client.");
        EventsDropped = meter.CreateCounter<long>("sluice.client.events_dropped", "{event}", "Errors not raised because the Error handlers fell behind.");
    }

    public Counter<long> Messages { get; }
    public Counter<long> Reconnects { get; }
    public Counter<long> Resyncs { get; }
    public Histogram<double> Lag { get; }
    public Counter<long> HandlerErrors { get; }
    public Counter<long> BufferOverflows { get; }
    public Counter<long> FallbackRefreshes { get; }
    public Counter<long> Broadcasts { get; }
    public Counter<long> EventsDropped { get; }

    /// <summary>The instruments of a client: its own meter from <paramref name="factory"/> (which owns and disposes it), or the shared one.</summary>
    public static ClientTelemetry For(IMeterFactory? factory) =>
        factory is null ? Shared : new(factory.Create(new MeterOptions(SluiceClientDiagnostics.MeterName) { Version = Version }));

    public void CountMessage(string type) => Messages.Add(1, new KeyValuePair<string, object?>("type", type));
}
