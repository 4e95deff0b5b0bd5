namespace Sluice.Client;

/// <summary>
/// An error reported by <see cref="SluiceClient.Error"/>: an <c>error</c> frame from the server (with the server's
/// <see cref="Code"/>), or a problem in the client such as a throwing handler (<see cref="ClientErrorCodes"/>).
/// Errors never stop the client: it keeps reconnecting and delivering.
/// </summary>
/// <param name="code">The server's code (<see cref="Sluice.Protocol.ErrorCodes"/>) or a <see cref="ClientErrorCodes"/> value.</param>
/// <param name="message">A human-readable explanation.</param>
/// <param name="channel">The channel concerned, when there is one.</param>
/// <param name="exception">The exception behind a client-side error.</param>
public sealed class SluiceErrorEventArgs(string code, string message, string? channel, Exception? exception) : EventArgs
{
    /// <summary>The server's code (<see cref="Sluice.Protocol.ErrorCodes"/>) or a <see cref="ClientErrorCodes"/> value.</summary>
    public string Code { get; } = code;

    /// <summary>A human-readable explanation.</summary>
    public string Message { get; } = message;

    /// <summary>The channel concerned, e.g. <c>table:public.products</c>, when there is one.</summary>
    public string? Channel { get; } = channel;

    /// <summary>The exception behind a client-side error (for example the one a handler threw).</summary>
    public Exception? Exception { get; } = exception;

    /// <inheritdoc/>
    public override string ToString() => Channel is null ? $"{Code}: {Message}" : $"{Code} on {Channel}: {Message}";
}
