namespace Sluice.Protocol;

/// <summary>
/// The rule for a table subscription's client-chosen <c>id</c> (docs/protocol.md, "Several subscriptions to one table"):
/// 1 to <see cref="MaxLength"/> characters, each an ASCII letter, digit, <c>_</c>, <c>-</c> or <c>.</c>. A subscription
/// is named by its channel and id together, so one connection can hold several subscriptions of one table.
/// </summary>
public static class SubscriptionIds
{
    /// <summary>The longest id accepted, in characters.</summary>
    public const int MaxLength = 64;

    /// <summary>Whether <paramref name="id"/> is a valid subscription id, explaining what is wrong when it is not.</summary>
    public static bool IsValid(string id, out string? error)
    {
        ArgumentNullException.ThrowIfNull(id);
        if (id.Length is 0 or > MaxLength)
        {
            error = $"\"id\" must be 1 to {MaxLength} characters long";
            return false;
        }
        foreach (var c in id)
        {
            if (!IsAllowed(c))
            {
                error = "\"id\" may contain only ASCII letters, digits, '_', '-' and '.'";
                return false;
            }
        }
        error = null;
        return true;
    }

    private static bool IsAllowed(char c) => c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or (>= '0' and <= '9') or '_' or '-' or '.';
}
