using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace Sluice.Client;

/// <summary>
/// The default <see cref="ISluiceSerializer"/>, on System.Text.Json. Column names map to properties in snake case
/// (<c>updated_at</c> → <c>UpdatedAt</c>), case-insensitively, and numbers may come as strings; room payloads and
/// presence states are written in snake case too.
/// </summary>
/// <remarks>
/// Trimmed and native-AOT apps use <see cref="FromContext"/> (or <c>SluiceClientBuilder.WithJsonSerializerContext</c>)
/// with their source-generated <see cref="JsonSerializerContext"/>, which lists every row, payload and presence-state
/// type: no reflection, no trimming or AOT warnings. A type the context does not know is reported with a clear error
/// (<see cref="ClientErrorCodes.DeserializationFailed"/> for rows). <see cref="JsonElement"/> rows and payloads never need
/// metadata. The parameterless constructor uses reflection; a client without a configured serializer uses it only
/// where reflection-based JSON is enabled, and otherwise knows no types until you pass a context.
/// </remarks>
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

    /// <summary>
    /// A serializer with the default options and the metadata of your source-generated context only: no reflection, safe
    /// for trimming and native AOT.
    /// </summary>
    /// <param name="context">Your <see cref="JsonSerializerContext"/> (for example <c>AppJsonContext.Default</c>), listing
    /// every row, payload and presence-state type with <c>[JsonSerializable(typeof(…))]</c>.</param>
    public static SystemTextJsonSluiceSerializer FromContext(IJsonTypeInfoResolver context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return new SystemTextJsonSluiceSerializer(CreateOptions(context));
    }

    /// <summary>
    /// The serializer of a client that was given none: reflection-based where reflection-based JSON is enabled (the
    /// default), otherwise (trimmed or native-AOT apps) one that knows no types, so that each typed row, payload or state
    /// reports how to pass a context instead of failing obscurely.
    /// </summary>
    [UnconditionalSuppressMessage("Trimming", "IL2026", Justification = "Reflection only when JsonSerializer.IsReflectionEnabledByDefault, a feature switch that trimmed and AOT apps turn off, removing that branch.")]
    [UnconditionalSuppressMessage("AOT", "IL3050", Justification = "Reflection only when JsonSerializer.IsReflectionEnabledByDefault, a feature switch that trimmed and AOT apps turn off, removing that branch.")]
    internal static SystemTextJsonSluiceSerializer CreateDefault() =>
        JsonSerializer.IsReflectionEnabledByDefault
            ? new SystemTextJsonSluiceSerializer()
            : new SystemTextJsonSluiceSerializer(CreateOptions(JsonTypeInfoResolver.Combine()));

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
    /// <exception cref="NotSupportedException">The options have no metadata for <typeparamref name="T"/>.</exception>
    public T Deserialize<T>(ReadOnlySpan<byte> utf8Json) => JsonSerializer.Deserialize(utf8Json, TypeInfo<T>())!;

    /// <inheritdoc/>
    /// <exception cref="NotSupportedException">The options have no metadata for <typeparamref name="T"/>.</exception>
    public byte[] Serialize<T>(T value) => JsonSerializer.SerializeToUtf8Bytes(value, TypeInfo<T>());

    private JsonTypeInfo<T> TypeInfo<T>()
    {
        if (Options.TryGetTypeInfo(typeof(T), out var info))
            return (JsonTypeInfo<T>)info;
        throw new NotSupportedException(
            $"no JSON metadata for {typeof(T).FullName}: add [JsonSerializable(typeof({typeof(T).Name}))] to your JsonSerializerContext and pass "
            + "it with SluiceClientBuilder.WithJsonSerializerContext or SystemTextJsonSluiceSerializer.FromContext (apps without "
            + "reflection-based JSON, trimmed or native AOT, need one for every row, payload and presence-state type)");
    }
}
