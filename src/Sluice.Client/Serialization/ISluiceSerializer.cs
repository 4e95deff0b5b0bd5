namespace Sluice.Client;

/// <summary>
/// Turns rows (UTF-8 JSON objects whose properties are the table's column names), room payloads and presence states into
/// your types, and your room payloads and presence states into JSON. The default is
/// <see cref="SystemTextJsonSluiceSerializer"/>; plug in another with <see cref="SluiceClientOptions.Serializer"/>.
/// Implementations must be thread-safe.
/// </summary>
public interface ISluiceSerializer
{
    /// <summary>Deserializes one row.</summary>
    /// <typeparam name="T">The row type.</typeparam>
    /// <param name="utf8Json">The row as a UTF-8 JSON object.</param>
    T Deserialize<T>(ReadOnlySpan<byte> utf8Json);

    /// <summary>Serializes a value the client sends: a room broadcast's payload or a presence state.</summary>
    /// <typeparam name="T">The value's type.</typeparam>
    /// <param name="value">The value.</param>
    /// <returns>The value as UTF-8 JSON.</returns>
    byte[] Serialize<T>(T value);
}
