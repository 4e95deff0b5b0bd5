namespace Sluice.Server.Observability;

/// <summary>
/// Wraps a logger provider so that everything it writes went through <see cref="RedactingLogger"/>. Disposes the inner
/// provider only when it created it (a provider registered as an instance belongs to whoever registered it).
/// </summary>
internal sealed class RedactingLoggerProvider(ILoggerProvider inner, bool ownsInner) : ILoggerProvider, ISupportExternalScope
{
    public ILogger CreateLogger(string categoryName) => new RedactingLogger(inner.CreateLogger(categoryName));

    public void SetScopeProvider(IExternalScopeProvider scopeProvider)
    {
        if (inner is ISupportExternalScope scoped)
            scoped.SetScopeProvider(scopeProvider);
    }

    public void Dispose()
    {
        if (ownsInner)
            inner.Dispose();
    }
}
