using System.Text;
using System.Text.Json.Serialization;

namespace Sluice.Client.Tests;

[JsonSerializable(typeof(Product))]
internal sealed partial class ProductJsonContext : JsonSerializerContext;

/// <summary>The AOT-safe serializer path: a source-generated context and no reflection.</summary>
public sealed class SerializerTests
{
    [Fact]
    public void FromContext_reads_rows_with_the_sdk_defaults_and_writes_snake_case()
    {
        var serializer = SystemTextJsonSluiceSerializer.FromContext(ProductJsonContext.Default);

        var product = serializer.Deserialize<Product>("""{"id":"7","NAME":"Widget","price":2.5}"""u8);

        Assert.Equal(new Product(7, "Widget", 2.5m), product);
        Assert.Equal("""{"id":7,"name":"Widget","price":2.5}""", Encoding.UTF8.GetString(serializer.Serialize(product)));
    }

    [Fact]
    public void A_type_outside_the_context_is_refused_with_how_to_add_it()
    {
        var serializer = SystemTextJsonSluiceSerializer.FromContext(ProductJsonContext.Default);

        var error = Assert.Throws<NotSupportedException>(() => serializer.Deserialize<Cursor>("{}"u8));

        Assert.Contains("[JsonSerializable(typeof(Cursor))]", error.Message, StringComparison.Ordinal);
        Assert.Contains("FromContext", error.Message, StringComparison.Ordinal);
        Assert.Throws<NotSupportedException>(() => serializer.Serialize(new Dictionary<string, int>()));
    }
}
