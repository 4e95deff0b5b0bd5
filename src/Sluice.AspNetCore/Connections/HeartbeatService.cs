using Microsoft.Extensions.Options;
using Sluice.Protocol;
using Sluice.Server.Hosting;

namespace Sluice.Server.Connections;

/// <summary>Sends the periodic heartbeat and closes connections whose sends have stalled.</summary>
internal sealed class HeartbeatService(ConnectionRegistry connections, IOptions<SluiceOptions> options) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        var period = settings.HeartbeatInterval < settings.SendTimeout ? settings.HeartbeatInterval : settings.SendTimeout / 2;
        using var timer = new PeriodicTimer(period);
        var sinceHeartbeat = TimeSpan.Zero;
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                sinceHeartbeat += period;
                var beat = sinceHeartbeat >= settings.HeartbeatInterval;
                if (beat)
                    sinceHeartbeat = TimeSpan.Zero;
                foreach (var connection in connections.All)
                {
                    if (connection.IsSendStalled(settings.SendTimeout))
                        connection.Close(CloseCodes.SlowConsumer, "slow_consumer: a send stalled; reconnect and resubscribe");
                    else if (beat && connection.Protocol.Heartbeat is { } heartbeat)
                        connection.TryEnqueue(heartbeat);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }
}
