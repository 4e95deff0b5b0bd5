using Sluice.Protocol;

namespace Sluice.Server.Protocols.Messages;

/// <summary>A problem with a client frame, reported to the client in an <c>error</c> frame.</summary>
/// <param name="Code">One of <see cref="ErrorCodes"/>.</param>
/// <param name="Message">A human-readable explanation.</param>
/// <param name="Channel">The channel the frame was about, when known.</param>
internal sealed record ProtocolError(string Code, string Message, string? Channel = null);
