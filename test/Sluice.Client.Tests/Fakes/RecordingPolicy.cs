namespace Sluice.Client.Tests.Fakes;

/// <summary>A reconnect policy that records every context it is asked about and answers with <paramref name="decide"/>.</summary>
public sealed class RecordingPolicy(Recorder<ReconnectContext> contexts, Func<ReconnectContext, TimeSpan?> decide) : IReconnectPolicy
{
    public TimeSpan? NextDelay(ReconnectContext context)
    {
        contexts.Add(context);
        return decide(context);
    }
}
