using System.Collections.Concurrent;
using System.Net.WebSockets;
using System.Text;
using System.Threading.Channels;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Hosting;
using Npgsql;

namespace Sluice.Bench.Baselines;

/// <summary>
/// The latency baseline: the classic trigger relay. A row trigger calls <c>pg_notify('bench', row_to_json(NEW))</c>
/// (see <see cref="NotifyTrigger"/>); this relay holds one LISTEN connection and forwards each notification's
/// payload, as is, to every connected plain WebSocket (one bounded queue and writer per socket).
/// </summary>
public sealed class NotifyRelay(string connectionString) : BackgroundService
{
    public const string ChannelName = "bench";
    private readonly ConcurrentDictionary<Guid, Channel<byte[]>> _sockets = new();

    public bool Listening { get; private set; }

    public async Task AcceptAsync(HttpContext context)
    {
        if (!context.WebSockets.IsWebSocketRequest)
        {
            context.Response.StatusCode = 400;
            return;
        }

        using var socket = await context.WebSockets.AcceptWebSocketAsync();
        var queue = Channel.CreateBounded<byte[]>(new BoundedChannelOptions(1_000_000) { SingleReader = true });
        var id = Guid.NewGuid();
        _sockets[id] = queue;
        var reader = DrainIncomingAsync(socket);
        try
        {
            await foreach (var payload in queue.Reader.ReadAllAsync(context.RequestAborted))
                await socket.SendAsync(payload, WebSocketMessageType.Text, true, context.RequestAborted);
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException)
        {
        }
        finally
        {
            _sockets.TryRemove(id, out _);
        }

        await reader;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(stoppingToken);
        connection.Notification += (_, e) =>
        {
            var payload = Encoding.UTF8.GetBytes(e.Payload);
            foreach (var queue in _sockets.Values)
                queue.Writer.TryWrite(payload);
        };
        await using (var listen = new NpgsqlCommand($"LISTEN {ChannelName}", connection))
            await listen.ExecuteNonQueryAsync(stoppingToken);
        Listening = true;
        try
        {
            while (!stoppingToken.IsCancellationRequested)
                await connection.WaitAsync(stoppingToken);
        }
        catch (OperationCanceledException)
        {
        }
    }

    private static async Task DrainIncomingAsync(WebSocket socket)
    {
        var buffer = new byte[1024];
        try
        {
            while (socket.State == WebSocketState.Open)
            {
                var result = await socket.ReceiveAsync(buffer, CancellationToken.None);
                if (result.MessageType == WebSocketMessageType.Close)
                    return;
            }
        }
        catch (WebSocketException)
        {
        }
    }
}
