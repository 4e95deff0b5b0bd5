namespace Sluice.Server.Routing;

/// <summary>
/// How far dispatch has come in commit order (<see cref="LastCommitLsn"/>), and the tasks waiting for it to reach an LSN
/// (a snapshot waits until the log holds every transaction it may contain).
/// </summary>
/// <remarks>
/// Owned by <see cref="SubscriptionRouter"/> and only called under its lock; it has no lock of its own. Waiting tasks
/// continue asynchronously, never inline while the lock is held.
/// </remarks>
internal sealed class CommitWaiters
{
    private readonly List<(ulong Lsn, TaskCompletionSource Done)> _waiters = [];

    /// <summary>The commit LSN of the last transaction dispatched (0 before the first, and after the log starts over).</summary>
    public ulong LastCommitLsn { get; private set; }

    /// <summary>Completes once a transaction committed at or after <paramref name="lsn"/> has been dispatched.</summary>
    public Task WaitFor(ulong lsn)
    {
        if (LastCommitLsn >= lsn)
            return Task.CompletedTask;
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _waiters.Add((lsn, done));
        return done.Task;
    }

    /// <summary>The transaction committed at <paramref name="lsn"/> was dispatched: completes the waits it satisfies.</summary>
    public void Committed(ulong lsn)
    {
        LastCommitLsn = lsn;
        for (var i = _waiters.Count - 1; i >= 0; i--)
        {
            if (_waiters[i].Lsn <= LastCommitLsn)
            {
                _waiters[i].Done.TrySetResult();
                _waiters.RemoveAt(i);
            }
        }
    }

    /// <summary>The log started over: dispatch starts again from the new epoch's first commit; waits keep waiting for it.</summary>
    public void Restart() => LastCommitLsn = 0;
}
