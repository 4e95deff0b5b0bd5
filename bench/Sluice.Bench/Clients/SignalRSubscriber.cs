using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR.Client;
using Sluice.Bench.Baselines;

namespace Sluice.Bench.Clients;

/// <summary>A SignalR client (WebSockets transport, no negotiate round trip) counting hub messages.</summary>
public sealed class SignalRSubscriber : IAsyncDisposable
{
    private readonly HubConnection _connection;

    private SignalRSubscriber(HubConnection connection) => _connection = connection;

    public HubConnection Connection => _connection;

    /// <summary>Connects; counts each hub message into <paramref name="counter"/> and, when given, records its
    /// <c>sent_ticks</c> → now latency into <paramref name="latency"/>.</summary>
    public static async Task<SignalRSubscriber> ConnectAsync(Uri hub, DeliveryCounter? counter, LatencyRecorder? latency = null)
    {
        var connection = new HubConnectionBuilder()
            .WithUrl(hub, o =>
            {
                o.SkipNegotiation = true;
                o.Transports = HttpTransportType.WebSockets;
            })
            .Build();
        connection.ServerTimeout = TimeSpan.FromMinutes(5);
        if (counter is not null)
        {
            connection.On<string>(BenchHub.Method, payload =>
            {
                if (latency is not null && SentTicks.Read(payload) is { } sent)
                    latency.Record(System.Diagnostics.Stopwatch.GetTimestamp() - sent);
                counter.Add();
            });
        }
        await connection.StartAsync();
        return new SignalRSubscriber(connection);
    }

    public Task JoinAsync(string group) => _connection.InvokeAsync(nameof(BenchHub.Join), group);

    public async ValueTask DisposeAsync() => await _connection.DisposeAsync();
}
