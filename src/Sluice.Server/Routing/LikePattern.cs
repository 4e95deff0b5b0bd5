namespace Sluice.Server.Routing;

/// <summary>
/// A compiled SQL <c>LIKE</c> / <c>ILIKE</c> pattern: <c>%</c> matches any run of characters, <c>_</c> exactly one
/// character (a surrogate pair counts as one, as in PostgreSQL), and a backslash makes the next character literal.
/// The whole value must match. Matching allocates nothing and takes at most (value length × pattern length) steps.
/// </summary>
internal sealed class LikePattern
{
    private const int AnyOne = -1;
    private const int AnyRun = -2;

    /// <summary>Literal characters (lower-cased when case-insensitive), or <see cref="AnyOne"/>/<see cref="AnyRun"/>.</summary>
    private readonly int[] _tokens;
    private readonly bool _ignoreCase;

    private LikePattern(int[] tokens, bool ignoreCase)
    {
        _tokens = tokens;
        _ignoreCase = ignoreCase;
    }

    public static bool TryCreate(string pattern, bool ignoreCase, out LikePattern? like, out string? error)
    {
        var tokens = new List<int>(pattern.Length);
        for (var i = 0; i < pattern.Length; i++)
        {
            var c = pattern[i];
            if (c == '\\')
            {
                if (++i == pattern.Length)
                {
                    like = null;
                    error = "LIKE pattern must not end with escape character";
                    return false;
                }
                tokens.Add(Fold(pattern[i], ignoreCase));
            }
            else if (c == '%')
            {
                // Runs of % are one.
                if (tokens.Count == 0 || tokens[^1] != AnyRun)
                    tokens.Add(AnyRun);
            }
            else if (c == '_')
                tokens.Add(AnyOne);
            else
                tokens.Add(Fold(c, ignoreCase));
        }

        like = new LikePattern([.. tokens], ignoreCase);
        error = null;
        return true;
    }

    public bool IsMatch(ReadOnlySpan<char> text)
    {
        var tokens = _tokens.AsSpan();
        int p = 0, t = 0, star = -1, starText = 0;
        while (t < text.Length)
        {
            if (p < tokens.Length && tokens[p] == AnyOne)
            {
                p++;
                t += CharLength(text, t);
            }
            else if (p < tokens.Length && tokens[p] >= 0 && tokens[p] == Fold(text[t], _ignoreCase))
            {
                p++;
                t++;
            }
            else if (p < tokens.Length && tokens[p] == AnyRun)
            {
                star = p++;
                starText = t;
            }
            else if (star >= 0)
            {
                // Let the last % take one more character and try again from there.
                p = star + 1;
                starText += CharLength(text, starText);
                t = starText;
            }
            else
                return false;
        }

        while (p < tokens.Length && tokens[p] == AnyRun)
            p++;
        return p == tokens.Length;
    }

    private static int Fold(char c, bool ignoreCase) => ignoreCase ? char.ToLowerInvariant(c) : c;

    private static int CharLength(ReadOnlySpan<char> text, int index) =>
        char.IsHighSurrogate(text[index]) && index + 1 < text.Length && char.IsLowSurrogate(text[index + 1]) ? 2 : 1;
}
