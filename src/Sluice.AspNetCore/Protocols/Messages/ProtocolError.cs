using Sluice.Protocol;

namespace Sluice.Server.Protocols.Messages;

/// <summary>A problem with a client frame, reported to the client in an <c>error</c> frame.</summary>
/// <param name="Code">One of <see cref="ErrorCodes"/>.</param>
/// <param name="Message">A human-readable explanation.</param>
/// <param name="Channel">The channel the frame was about, when known.</param>
/// <param name="Id">The table subscription's id (<see cref="SubscriptionIds"/>) the frame was about, when it carried a valid one.</param>
internal sealed record ProtocolError(string Code, string Message, string? Channel = null, string? Id = null);
