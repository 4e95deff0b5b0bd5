namespace Sluice.Server.Http;

/// <summary>An HTTP error body: the same <c>error</c> and <c>code</c> fields as the WebSocket error frame.</summary>
internal sealed record ErrorResponse(string Error, string Code);
