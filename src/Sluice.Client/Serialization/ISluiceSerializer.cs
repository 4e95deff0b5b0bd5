namespace Sluice.Client;

/// <summary>
/// Turns rows (UTF-8 JSON objects whose properties are the table's column names) into your types. The default is
/// <see cref="SystemTextJsonSluiceSerializer"/>; plug in another with <see cref="SluiceClientOptions.Serializer"/>.
/// Implementations must be thread-safe.
/// </summary>
public interface ISluiceSerializer
{
    /// <summary>Deserializes one row.</summary>
    /// <typeparam name="T">The row type.</typeparam>
    /// <param name="utf8Json">The row as a UTF-8 JSON object.</param>
    T Deserialize<T>(ReadOnlySpan<byte> utf8Json);
}
