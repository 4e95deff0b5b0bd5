using System.Text.Json.Serialization;

namespace Sluice.Server.Http;

/// <summary>
/// <c>GET /health</c>: <c>ok</c> while changes stream from PostgreSQL; otherwise <c>degraded</c> (503) with the
/// <c>reason</c>, e.g. that the database cannot be reached.
/// </summary>
internal sealed record HealthResponse(
    string Status,
    string Capture,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Reason = null);
