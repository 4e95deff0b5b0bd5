using System.Text.Json.Serialization;

namespace Sluice.Server.Http;

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(StatsResponse))]
[JsonSerializable(typeof(StatsHistoryResponse))]
[JsonSerializable(typeof(HealthResponse))]
[JsonSerializable(typeof(ErrorResponse))]
[JsonSerializable(typeof(AdminTable))]
[JsonSerializable(typeof(AdminTablesResponse))]
[JsonSerializable(typeof(BroadcastErrorResponse))]
[JsonSerializable(typeof(SupabaseError))]
internal sealed partial class ServerJsonContext : JsonSerializerContext;
