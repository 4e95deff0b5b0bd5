using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Sluice.Client.Telemetry;

/// <summary>The client's one <see cref="ActivitySource"/> and its metrics.</summary>
internal static class ClientTelemetry
{
    private static readonly string? Version = typeof(ClientTelemetry).Assembly.GetName().Version?.ToString();

    public static readonly ActivitySource ActivitySource = new(SluiceClientDiagnostics.ActivitySourceName, Version);

    private static readonly Meter Meter = new(SluiceClientDiagnostics.MeterName, Version);

    public static readonly Counter<long> Messages =
        Meter.CreateCounter<long>("sluice.client.messages", "{message}", "Frames received from the server, by type.");

    public static readonly Counter<long> Reconnects =
        Meter.CreateCounter<long>("sluice.client.reconnects", "{reconnect}", "Connections lost and re-established.");

    public static readonly Counter<long> Resyncs =
        Meter.CreateCounter<long>("sluice.client.resyncs", "{resync}", "resync_required answers: a fresh snapshot was needed.");

    public static readonly Histogram<double> Lag =
        Meter.CreateHistogram<double>("sluice.client.lag", "ms", "Time from a change's commit to its arrival at the client.");

    public static readonly Counter<long> HandlerErrors =
        Meter.CreateCounter<long>("sluice.client.handler_errors", "{error}", "Exceptions thrown by application handlers.");

    public static readonly Counter<long> BufferOverflows =
        Meter.CreateCounter<long>("sluice.client.buffer_overflows", "{overflow}", "Channels paused because their handlers fell behind.");

    public static readonly Counter<long> FallbackRefreshes =
        Meter.CreateCounter<long>("sluice.client.fallback_refreshes", "{refresh}", "HTTP snapshot refreshes in fallback mode.");

    public static readonly Counter<long> Broadcasts =
        Meter.CreateCounter<long>("sluice.client.broadcasts", "{message}", "Messages broadcast to rooms by this client.");

    public static void CountMessage(string type) => Messages.Add(1, new KeyValuePair<string, object?>("type", type));
}
