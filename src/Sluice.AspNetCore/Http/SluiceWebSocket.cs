namespace Sluice.Server.Http;

/// <summary>Endpoint metadata of Sluice's WebSocket endpoints: their upgrades get a coalescing stream.</summary>
internal sealed class SluiceWebSocket
{
    public static readonly SluiceWebSocket Endpoint = new();

    private SluiceWebSocket()
    {
    }
}
