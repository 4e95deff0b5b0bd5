namespace Sluice.Server.Http;

/// <summary><c>GET /health</c>: <c>ok</c> while changes stream from PostgreSQL.</summary>
public sealed record HealthResponse(string Status, string Capture);
