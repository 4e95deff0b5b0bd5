namespace Sluice.Client;

/// <summary>An error answered by the server (or its HTTP API), with the server's stable <see cref="Code"/>.</summary>
public sealed class SluiceException : Exception
{
    /// <summary>Creates an exception with the server's code and message.</summary>
    /// <param name="code">One of <see cref="Sluice.Protocol.ErrorCodes"/> or <see cref="ClientErrorCodes"/>.</param>
    /// <param name="message">A human-readable explanation.</param>
    public SluiceException(string code, string message) : base(message) => Code = code;

    /// <summary>Creates an exception with a code, a message and the exception that caused it.</summary>
    /// <param name="code">One of <see cref="Sluice.Protocol.ErrorCodes"/> or <see cref="ClientErrorCodes"/>.</param>
    /// <param name="message">A human-readable explanation.</param>
    /// <param name="innerException">The cause.</param>
    public SluiceException(string code, string message, Exception innerException) : base(message, innerException) => Code = code;

    /// <summary>The stable error code.</summary>
    public string Code { get; }
}
