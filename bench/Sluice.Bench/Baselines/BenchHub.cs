using Microsoft.AspNetCore.SignalR;

namespace Sluice.Bench.Baselines;

/// <summary>The SignalR baseline's hub: a publisher sends payloads, the hub fans them out.</summary>
public sealed class BenchHub : Hub
{
    public const string Method = "change";

    /// <summary>Broadcasts to every connection except the publisher.</summary>
    public Task Publish(string payload) => Clients.Others.SendAsync(Method, payload);

    /// <summary>Sends to one group (the filters baseline: a group per filter value).</summary>
    public Task PublishTo(string group, string payload) => Clients.Group(group).SendAsync(Method, payload);

    public Task Join(string group) => Groups.AddToGroupAsync(Context.ConnectionId, group);
}
