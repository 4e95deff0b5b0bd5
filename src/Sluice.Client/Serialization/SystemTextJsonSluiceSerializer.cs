using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace Sluice.Client;

/// <summary>
/// The default <see cref="ISluiceSerializer"/>, on System.Text.Json. Column names map to properties in snake case
/// (<c>updated_at</c> → <c>UpdatedAt</c>), case-insensitively, and numbers may come as strings; room payloads and
/// presence states are written in snake case too. Pass your
/// source-generated <see cref="JsonSerializerContext"/> to avoid reflection (trimming, AOT); types it does not know
/// fall back to reflection unless told otherwise.
/// </summary>
public sealed class SystemTextJsonSluiceSerializer : ISluiceSerializer
{
    /// <summary>A serializer with the default options and reflection-based metadata.</summary>
    [RequiresUnreferencedCode("Uses reflection for row types; pass a JsonSerializerContext for trimmed or AOT apps.")]
    [RequiresDynamicCode("Uses reflection for row types; pass a JsonSerializerContext for trimmed or AOT apps.")]
    public SystemTextJsonSluiceSerializer()
        : this(CreateOptions(new DefaultJsonTypeInfoResolver()))
    {
    }

    /// <summary>A serializer using the metadata of a source-generated context (and, optionally, reflection for other types).</summary>
    /// <param name="context">Your <see cref="JsonSerializerContext"/> (for example <c>AppJsonContext.Default</c>).</param>
    /// <param name="reflectionFallback">Whether types the context does not know may use reflection.</param>
    [RequiresUnreferencedCode("With reflectionFallback, types outside the context use reflection.")]
    [RequiresDynamicCode("With reflectionFallback, types outside the context use reflection.")]
    public SystemTextJsonSluiceSerializer(IJsonTypeInfoResolver context, bool reflectionFallback = true)
        : this(CreateOptions(reflectionFallback ? JsonTypeInfoResolver.Combine(context, new DefaultJsonTypeInfoResolver()) : context))
    {
    }

    /// <summary>A serializer with exactly these options (they must have a <see cref="JsonSerializerOptions.TypeInfoResolver"/>).</summary>
    /// <param name="options">The options; they are made read-only.</param>
    public SystemTextJsonSluiceSerializer(JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.TypeInfoResolver is null)
            throw new ArgumentException("the options need a TypeInfoResolver (a JsonSerializerContext or DefaultJsonTypeInfoResolver)", nameof(options));
        options.MakeReadOnly();
        Options = options;
    }

    /// <summary>The options in use.</summary>
    public JsonSerializerOptions Options { get; }

    /// <summary>The options the default serializer starts from: snake-case names, case-insensitive, numbers from strings allowed.</summary>
    /// <param name="resolver">Where type metadata comes from.</param>
    public static JsonSerializerOptions CreateOptions(IJsonTypeInfoResolver resolver) => new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        PropertyNameCaseInsensitive = true,
        NumberHandling = JsonNumberHandling.AllowReadingFromString,
        TypeInfoResolver = resolver,
    };

    /// <inheritdoc/>
    public T Deserialize<T>(ReadOnlySpan<byte> utf8Json)
    {
        var info = (JsonTypeInfo<T>)Options.GetTypeInfo(typeof(T));
        return JsonSerializer.Deserialize(utf8Json, info)!;
    }

    /// <inheritdoc/>
    public byte[] Serialize<T>(T value)
    {
        var info = (JsonTypeInfo<T>)Options.GetTypeInfo(typeof(T));
        return JsonSerializer.SerializeToUtf8Bytes(value, info);
    }
}
