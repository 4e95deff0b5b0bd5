namespace Sluice.Server.RowSecurity;

/// <summary>Why the policies on <c>realtime.messages</c> could not be asked: never a permission, always a refusal.</summary>
internal enum TopicProbeFailure
{
    /// <summary>PostgreSQL raised an error while the policies ran as the role: a policy error, a role that does not exist or cannot be assumed, no <c>realtime.messages</c>.</summary>
    PolicyError,

    /// <summary><c>realtime.messages</c> has no partition for today (its partitions are not maintained).</summary>
    MissingPartition,

    /// <summary>The check was cancelled (it took longer than <see cref="TopicPolicyProbe.Timeout"/>).</summary>
    QueryCanceled,

    /// <summary>The database could not be reached.</summary>
    DatabaseUnavailable,
}

/// <summary>The policies on <c>realtime.messages</c> could not be asked; <see cref="Failure"/> says why.</summary>
internal sealed class TopicProbeException(TopicProbeFailure failure, string message, Exception? inner = null) : Exception(message, inner)
{
    public TopicProbeFailure Failure { get; } = failure;
}
