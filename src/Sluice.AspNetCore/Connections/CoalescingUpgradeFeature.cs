using Microsoft.AspNetCore.Http.Features;

namespace Sluice.Server.Connections;

/// <summary>Hands the WebSocket middleware a <see cref="CoalescingStream"/> over the upgraded connection.</summary>
internal sealed class CoalescingUpgradeFeature(IHttpUpgradeFeature inner) : IHttpUpgradeFeature
{
    public bool IsUpgradableRequest => inner.IsUpgradableRequest;

    /// <summary>The stream handed out, once upgraded.</summary>
    public CoalescingStream? Stream { get; private set; }

    public async Task<Stream> UpgradeAsync()
    {
        Stream = new CoalescingStream(await inner.UpgradeAsync());
        return Stream;
    }
}
