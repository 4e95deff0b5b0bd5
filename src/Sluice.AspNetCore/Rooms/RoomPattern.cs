using System.Diagnostics.CodeAnalysis;
using Sluice.Protocol;

namespace Sluice.Server.Rooms;

/// <summary>
/// A room name pattern of a private-room rule: room name characters, <c>*</c> (any run of characters, empty
/// included) and <c>{claim}</c> placeholders. A room is covered by the rule when its name matches with the
/// placeholders read as <c>*</c>; a connection is admitted when the name matches with each placeholder replaced
/// by the value of the token's claim of that name (matched literally, so a claim value cannot smuggle in a
/// wildcard).
/// </summary>
internal sealed class RoomPattern
{
    private readonly Segment[] _segments;
    private readonly Token[] _coverTokens;

    private RoomPattern(string text, Segment[] segments)
    {
        Text = text;
        _segments = segments;
        var claims = new List<string>();
        foreach (var segment in segments)
        {
            if (segment.Kind == SegmentKind.Claim && !claims.Contains(segment.Text))
                claims.Add(segment.Text);
        }
        ClaimNames = claims;
        var cover = new List<Token>(text.Length);
        foreach (var segment in segments)
        {
            if (segment.Kind == SegmentKind.Literal)
                AddLiteral(cover, segment.Text);
            else
                cover.Add(Token.Star);
        }
        _coverTokens = [.. cover];
    }

    /// <summary>The pattern as configured.</summary>
    public string Text { get; }

    /// <summary>The claims the pattern's placeholders name.</summary>
    public IReadOnlyList<string> ClaimNames { get; }

    /// <summary>Parses a pattern, explaining what is wrong when it cannot.</summary>
    public static bool TryParse(string text, [NotNullWhen(true)] out RoomPattern? pattern, [NotNullWhen(false)] out string? error)
    {
        pattern = null;
        var segments = new List<Segment>();
        var literal = new System.Text.StringBuilder();
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '*' || c == '{')
            {
                if (literal.Length > 0)
                {
                    segments.Add(new Segment(SegmentKind.Literal, literal.ToString()));
                    literal.Clear();
                }
                if (c == '*')
                {
                    segments.Add(new Segment(SegmentKind.Star, "*"));
                    continue;
                }
                var close = text.IndexOf('}', i + 1);
                if (close < 0)
                {
                    error = "a '{' has no matching '}'";
                    return false;
                }
                var claim = text[(i + 1)..close];
                if (!IsClaimName(claim))
                {
                    error = $"\"{{{claim}}}\" is not a claim placeholder: use 1-100 characters of A-Z, a-z, 0-9, _ and -";
                    return false;
                }
                segments.Add(new Segment(SegmentKind.Claim, claim));
                i = close;
                continue;
            }
            if (!RoomChannels.IsNameCharacter(c))
            {
                error = $"'{c}' cannot appear in a room name; patterns use room name characters, * and {{claim}}";
                return false;
            }
            literal.Append(c);
        }
        if (literal.Length > 0)
            segments.Add(new Segment(SegmentKind.Literal, literal.ToString()));
        if (segments.Count == 0)
        {
            error = "the pattern is empty";
            return false;
        }
        pattern = new RoomPattern(text, [.. segments]);
        error = null;
        return true;
    }

    /// <summary>Whether the rule covers room <paramref name="name"/>: placeholders and <c>*</c> match any run of characters.</summary>
    public bool Covers(string name) => Glob(name, _coverTokens);

    /// <summary>
    /// Whether room <paramref name="name"/> matches with every placeholder replaced by its claim's value;
    /// false when a claim is missing (<paramref name="claim"/> returns null) or empty.
    /// </summary>
    public bool Admits(string name, Func<string, string?> claim)
    {
        var tokens = new List<Token>(name.Length + 4);
        foreach (var segment in _segments)
        {
            switch (segment.Kind)
            {
                case SegmentKind.Literal:
                    AddLiteral(tokens, segment.Text);
                    break;
                case SegmentKind.Star:
                    tokens.Add(Token.Star);
                    break;
                default:
                    var value = claim(segment.Text);
                    if (string.IsNullOrEmpty(value))
                        return false;
                    AddLiteral(tokens, value);
                    break;
            }
        }
        return Glob(name, System.Runtime.InteropServices.CollectionsMarshal.AsSpan(tokens));
    }

    public override string ToString() => Text;

    private static void AddLiteral(List<Token> tokens, string text)
    {
        foreach (var c in text)
            tokens.Add(new Token(c, false));
    }

    /// <summary>Wildcard matching with backtracking to the last star: O(name × pattern) at worst.</summary>
    private static bool Glob(string name, ReadOnlySpan<Token> pattern)
    {
        int s = 0, p = 0, starP = -1, starS = 0;
        while (s < name.Length)
        {
            if (p < pattern.Length && !pattern[p].IsStar && pattern[p].Char == name[s])
            {
                s++;
                p++;
            }
            else if (p < pattern.Length && pattern[p].IsStar)
            {
                starP = p++;
                starS = s;
            }
            else if (starP >= 0)
            {
                p = starP + 1;
                s = ++starS;
            }
            else
            {
                return false;
            }
        }
        while (p < pattern.Length && pattern[p].IsStar)
            p++;
        return p == pattern.Length;
    }

    private static bool IsClaimName(string name)
    {
        if (name.Length is 0 or > 100)
            return false;
        foreach (var c in name)
        {
            if (!(c is (>= 'A' and <= 'Z') or (>= 'a' and <= 'z') or (>= '0' and <= '9') or '_' or '-'))
                return false;
        }
        return true;
    }

    private enum SegmentKind
    {
        Literal,
        Star,
        Claim,
    }

    private readonly record struct Segment(SegmentKind Kind, string Text);

    private readonly record struct Token(char Char, bool IsStar)
    {
        public static Token Star => new('\0', true);
    }
}
