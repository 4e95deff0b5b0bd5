namespace Sluice.Client;

/// <summary>
/// Names to listen to: add <see cref="ActivitySourceName"/> to your tracer and <see cref="MeterName"/> to your meter
/// provider (OpenTelemetry: <c>.AddSource(SluiceClientDiagnostics.ActivitySourceName)</c>,
/// <c>.AddMeter(SluiceClientDiagnostics.MeterName)</c>).
/// </summary>
public static class SluiceClientDiagnostics
{
    /// <summary>The <see cref="System.Diagnostics.ActivitySource"/> of the client: spans <c>sluice.connect</c>,
    /// <c>sluice.subscribe</c>, <c>sluice.broadcast</c>, <c>sluice.live_table.apply</c> and <c>sluice.fallback.refresh</c>.</summary>
    public const string ActivitySourceName = "Sluice.Client";

    /// <summary>The <see cref="System.Diagnostics.Metrics.Meter"/> of the client: <c>sluice.client.messages</c>,
    /// <c>sluice.client.reconnects</c>, <c>sluice.client.resyncs</c>, <c>sluice.client.lag</c>,
    /// <c>sluice.client.handler_errors</c>, <c>sluice.client.buffer_overflows</c>, <c>sluice.client.fallback_refreshes</c>,
    /// <c>sluice.client.broadcasts</c> and <c>sluice.client.events_dropped</c>. With <see cref="SluiceClientOptions.MeterFactory"/>
    /// (set from the container by <c>AddSluiceClient</c>) each client's meter comes from that factory.</summary>
    public const string MeterName = "Sluice.Client";
}
