using System.Collections;

namespace Sluice.Server.Observability;

/// <summary>A log entry's values and message after <see cref="SecretText"/>: what providers (text or JSON) see instead of the original.</summary>
internal sealed class RedactedLogState(KeyValuePair<string, object?>[] values, string message) : IReadOnlyList<KeyValuePair<string, object?>>
{
    public KeyValuePair<string, object?> this[int index] => values[index];

    public int Count => values.Length;

    public IEnumerator<KeyValuePair<string, object?>> GetEnumerator() => ((IEnumerable<KeyValuePair<string, object?>>)values).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    public override string ToString() => message;
}
