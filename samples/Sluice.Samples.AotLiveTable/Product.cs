using System.Text.Json.Serialization;

namespace Sluice.Samples.AotLiveTable;

/// <summary>A row of the followed table; columns without a property (such as the demo table's tags) are ignored.</summary>
public sealed record Product(long Id, string? Name, decimal? Price);

/// <summary>
/// Source-generated metadata for every type the app reads: with it the SDK needs no reflection, which a native-AOT app
/// does not have. A row type missing here is reported as <c>deserialization_failed</c> naming the attribute to add.
/// </summary>
[JsonSerializable(typeof(Product))]
public sealed partial class AppJsonContext : JsonSerializerContext;
