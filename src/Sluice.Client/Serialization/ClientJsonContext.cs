using System.Text.Json;
using System.Text.Json.Serialization;

namespace Sluice.Client.Serialization;

/// <summary>Source-generated metadata for what the client itself reads over HTTP.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(RowsResponse))]
[JsonSerializable(typeof(ErrorBody))]
internal sealed partial class ClientJsonContext : JsonSerializerContext;

/// <summary><c>GET /api/tables/{schema}.{table}/rows</c>.</summary>
internal sealed record RowsResponse(string Schema, string Table, IReadOnlyList<JsonElement> Rows);

/// <summary>An HTTP error body: the same <c>error</c> and <c>code</c> as the WebSocket error frame.</summary>
internal sealed record ErrorBody(string? Error, string? Code);
