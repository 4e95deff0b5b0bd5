namespace Sluice.Server.Cli;

/// <summary>The known name closest to a mistyped one ("statuz" → "status"), for "did you mean" hints.</summary>
internal static class Suggestions
{
    /// <summary>The closest candidate within a few edits (or one that starts the typed text, or that it starts), or null when none is close.</summary>
    public static string? Closest(string typed, IEnumerable<string> candidates)
    {
        ArgumentNullException.ThrowIfNull(typed);
        ArgumentNullException.ThrowIfNull(candidates);
        string? best = null;
        var bestDistance = int.MaxValue;
        var allowed = Math.Max(2, typed.Length / 3);
        foreach (var candidate in candidates)
        {
            var distance = Distance(typed, candidate);
            // "stat" → "status", "--data-directory" → "--data-dir": one is the start of the other.
            if ((candidate.StartsWith(typed, StringComparison.OrdinalIgnoreCase) && typed.TrimStart('-').Length >= 3)
                || (typed.StartsWith(candidate, StringComparison.OrdinalIgnoreCase) && candidate.TrimStart('-').Length >= 3))
                distance = Math.Min(distance, 1);
            if (distance < bestDistance && distance <= allowed)
            {
                best = candidate;
                bestDistance = distance;
            }
        }
        return best;
    }

    /// <summary>Edits (insert, delete, substitute, swap two neighbours) that turn <paramref name="a"/> into <paramref name="b"/>, ignoring case.</summary>
    public static int Distance(string a, string b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        var previous2 = new int[b.Length + 1];
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++)
            previous[j] = j;
        for (var i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = char.ToLowerInvariant(a[i - 1]) == char.ToLowerInvariant(b[j - 1]) ? 0 : 1;
                current[j] = Math.Min(Math.Min(previous[j] + 1, current[j - 1] + 1), previous[j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                    current[j] = Math.Min(current[j], previous2[j - 2] + 1);
            }
            (previous2, previous, current) = (previous, current, previous2);
        }
        return previous[b.Length];
    }
}
