namespace Sluice.Server.Observability;

/// <summary>
/// Passes log entries on to a provider's logger with secrets removed (<see cref="SecretText"/>): request query strings
/// (ASP.NET Core's request logging carries them as <c>QueryString</c>), tokens and credential parameters in any message
/// or value. Only entries the inner logger would write are formatted and inspected; clean entries pass unchanged.
/// </summary>
internal sealed class RedactingLogger(ILogger inner) : ILogger
{
    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => inner.BeginScope(state);

    public bool IsEnabled(LogLevel logLevel) => inner.IsEnabled(logLevel);

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (!inner.IsEnabled(logLevel))
            return;
        var message = formatter(state, exception);
        var redactedMessage = SecretText.Redact(message);
        var changed = !ReferenceEquals(redactedMessage, message) && redactedMessage != message;
        KeyValuePair<string, object?>[]? values = null;
        if (state is IReadOnlyList<KeyValuePair<string, object?>> pairs)
        {
            values = new KeyValuePair<string, object?>[pairs.Count];
            for (var i = 0; i < pairs.Count; i++)
            {
                var (key, value) = pairs[i];
                var safe = RedactValue(key, value, ref redactedMessage);
                changed |= !ReferenceEquals(safe, value);
                values[i] = new KeyValuePair<string, object?>(key, safe);
            }
        }
        if (!changed)
        {
            inner.Log(logLevel, eventId, state, exception, formatter);
            return;
        }
        inner.Log(logLevel, eventId, new RedactedLogState(values ?? [], redactedMessage), exception, static (redacted, _) => redacted.ToString());
    }

    /// <summary>The value with secrets removed (the same instance when clean); a query string's text is also replaced in the message.</summary>
    private static object? RedactValue(string key, object? value, ref string message)
    {
        switch (value)
        {
            case QueryString { HasValue: true } query:
                return RedactQueryText(query.Value!, ref message);
            case string text when key == "QueryString" && text.Length > 0:
                return RedactQueryText(text, ref message);
            case string text:
                var redacted = SecretText.Redact(text);
                return redacted == text ? value : redacted;
            default:
                return value;
        }
    }

    private static string RedactQueryText(string query, ref string message)
    {
        var redacted = SecretText.RedactQuery(query);
        message = message.Replace(query, redacted, StringComparison.Ordinal);
        return redacted;
    }
}
