using System.Text.Json;
using System.Text.Json.Serialization;

namespace Sluice.Samples.LiveProducts;

/// <summary>A row of the demo table <c>public.products</c> created by the embedded server.</summary>
public sealed record Product(long Id, string Name, decimal? Price, string[] Tags, JsonElement? Details, DateTimeOffset UpdatedAt);

/// <summary>Source-generated metadata: no reflection when reading rows.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(Product))]
public sealed partial class SampleJsonContext : JsonSerializerContext;
