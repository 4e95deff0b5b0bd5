namespace Sluice.Server.Filters;

/// <summary>
/// A compiled SQL <c>LIKE</c> / <c>ILIKE</c> pattern: <c>%</c> matches any run of characters, <c>_</c> exactly one
/// character (a surrogate pair counts as one, as in PostgreSQL), and a backslash makes the next character literal.
/// The whole value must match.
/// </summary>
/// <remarks>
/// Matching is linear in the value, whatever the pattern, so no filter can stall routing: the pattern is split at its
/// <c>%</c>s into segments of one-character tokens; the first segment must match at the start and the last at the end
/// (each checked once), and the segments between are found in order, each at its leftmost place (which is optimal, since
/// <c>%</c> matches anything): a segment of literals with Knuth-Morris-Pratt, one with <c>_</c> by bit-parallel
/// Shift-And over a bit per token. The value is scanned at most once per phase, so the work is at most
/// O(value × ⌈segment / 64⌉) with no backtracking. Allocates nothing per match.
/// </remarks>
internal sealed class LikePattern
{
    private const int AnyOne = -1;

    private readonly bool _ignoreCase;

    /// <summary>Tokens before the first <c>%</c>; the whole pattern when it has none.</summary>
    private readonly int[] _head;

    /// <summary>Tokens after the last <c>%</c>; null when the pattern has no <c>%</c>.</summary>
    private readonly int[]? _tail;

    /// <summary>The segments between two <c>%</c>s, in order.</summary>
    private readonly Segment[] _middle;

    private LikePattern(bool ignoreCase, int[] head, int[]? tail, Segment[] middle)
    {
        _ignoreCase = ignoreCase;
        _head = head;
        _tail = tail;
        _middle = middle;
    }

    public static bool TryCreate(string pattern, bool ignoreCase, out LikePattern? like, out string? error)
    {
        var segments = new List<List<int>> { new() };
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
                segments[^1].Add(Fold(CodePoint(pattern, ref i), ignoreCase));
            }
            else if (c == '%')
            {
                // Runs of % are one.
                if (segments.Count == 1 || segments[^1].Count > 0)
                    segments.Add([]);
            }
            else if (c == '_')
                segments[^1].Add(AnyOne);
            else
                segments[^1].Add(Fold(CodePoint(pattern, ref i), ignoreCase));
        }

        var head = segments[0].ToArray();
        int[]? tail = segments.Count > 1 ? [.. segments[^1]] : null;
        var middle = new Segment[Math.Max(0, segments.Count - 2)];
        for (var s = 0; s < middle.Length; s++)
            middle[s] = Segment.Create([.. segments[s + 1]]);
        like = new LikePattern(ignoreCase, head, tail, middle);
        error = null;
        return true;
    }

    public bool IsMatch(ReadOnlySpan<char> text)
    {
        long work = 0;
        return IsMatch(text, ref work);
    }

    /// <summary>As <see cref="IsMatch(ReadOnlySpan{char})"/>, adding to <paramref name="work"/> one unit per character examined per 64 tokens.</summary>
    internal bool IsMatch(ReadOnlySpan<char> text, ref long work)
    {
        var end = MatchAt(text, 0, _head, ref work);
        if (end < 0)
            return false;
        if (_tail is null)
            return end == text.Length;
        var tailStart = MatchTail(text, _tail, ref work);
        if (tailStart < end)
            return false;
        // The middle segments must fit, in order, between the head and the tail.
        var within = text[..tailStart];
        foreach (var segment in _middle)
        {
            end = segment.FindEnd(within, end, _ignoreCase, ref work);
            if (end < 0)
                return false;
        }
        return true;
    }

    /// <summary>Where the tokens end when they match at <paramref name="start"/>, or -1.</summary>
    private int MatchAt(ReadOnlySpan<char> text, int start, int[] tokens, ref long work)
    {
        var position = start;
        foreach (var token in tokens)
        {
            if (position >= text.Length)
                return -1;
            work++;
            var at = position;
            var c = CodePoint(text, ref at);
            if (token != AnyOne && token != Fold(c, _ignoreCase))
                return -1;
            position = at + 1;
        }
        return position;
    }

    /// <summary>Where the tokens start when they match the end of the text, or -1.</summary>
    private int MatchTail(ReadOnlySpan<char> text, int[] tokens, ref long work)
    {
        var position = text.Length;
        for (var t = tokens.Length - 1; t >= 0; t--)
        {
            if (position == 0)
                return -1;
            work++;
            var start = position - 1;
            if (char.IsLowSurrogate(text[start]) && start > 0 && char.IsHighSurrogate(text[start - 1]))
                start--;
            var at = start;
            var c = CodePoint(text, ref at);
            if (tokens[t] != AnyOne && tokens[t] != Fold(c, _ignoreCase))
                return -1;
            position = start;
        }
        return position;
    }

    /// <summary>The code point at <paramref name="index"/>, leaving <paramref name="index"/> on its last UTF-16 unit.</summary>
    private static int CodePoint(ReadOnlySpan<char> text, ref int index)
    {
        var c = text[index];
        if (char.IsHighSurrogate(c) && index + 1 < text.Length && char.IsLowSurrogate(text[index + 1]))
            return char.ConvertToUtf32(c, text[++index]);
        return c;
    }

    /// <summary>ILIKE folds characters of the Basic Multilingual Plane with Unicode's invariant lower case.</summary>
    private static int Fold(int c, bool ignoreCase) => ignoreCase && c <= char.MaxValue ? char.ToLowerInvariant((char)c) : c;

    /// <summary>A segment between two <c>%</c>: found at its leftmost place in the text.</summary>
    private abstract class Segment
    {
        public static Segment Create(int[] tokens) =>
            Array.IndexOf(tokens, AnyOne) < 0 ? new LiteralSegment(tokens) : new WildcardSegment(tokens);

        /// <summary>The end of the leftmost match at or after <paramref name="from"/>, or -1.</summary>
        public abstract int FindEnd(ReadOnlySpan<char> text, int from, bool ignoreCase, ref long work);
    }

    /// <summary>Literals only: Knuth-Morris-Pratt over UTF-16 units (a valid pattern never starts a match inside a pair).</summary>
    private sealed class LiteralSegment : Segment
    {
        private readonly string _units;
        private readonly int[] _fallback;

        public LiteralSegment(int[] tokens)
        {
            var units = new System.Text.StringBuilder(tokens.Length);
            foreach (var token in tokens)
                {
                if (token <= char.MaxValue)
                    units.Append((char)token);
                else
                    units.Append(char.ConvertFromUtf32(token));
            }
            _units = units.ToString();
            _fallback = new int[_units.Length];
            for (int i = 1, k = 0; i < _units.Length; i++)
            {
                while (k > 0 && _units[i] != _units[k])
                    k = _fallback[k - 1];
                if (_units[i] == _units[k])
                    k++;
                _fallback[i] = k;
            }
        }

        public override int FindEnd(ReadOnlySpan<char> text, int from, bool ignoreCase, ref long work)
        {
            var matched = 0;
            for (var i = from; i < text.Length; i++)
            {
                work++;
                var c = ignoreCase ? char.ToLowerInvariant(text[i]) : text[i];
                while (matched > 0 && c != _units[matched])
                    matched = _fallback[matched - 1];
                if (c == _units[matched] && ++matched == _units.Length)
                    return i + 1;
            }
            return -1;
        }
    }

    /// <summary>Literals and <c>_</c>: Shift-And over code points, one bit per token, in 64-bit words.</summary>
    private sealed class WildcardSegment : Segment
    {
        private readonly int _length;
        private readonly int _words;
        private readonly ulong[] _anyMask;
        private readonly ulong[][] _asciiMasks;
        private readonly Dictionary<int, ulong[]> _otherMasks = [];

        public WildcardSegment(int[] tokens)
        {
            _length = tokens.Length;
            _words = (tokens.Length + 63) / 64;
            _anyMask = new ulong[_words];
            for (var j = 0; j < tokens.Length; j++)
            {
                if (tokens[j] == AnyOne)
                    _anyMask[j / 64] |= 1UL << (j % 64);
            }
            _asciiMasks = new ulong[128][];
            for (var c = 0; c < 128; c++)
                _asciiMasks[c] = _anyMask;
            for (var j = 0; j < tokens.Length; j++)
            {
                var token = tokens[j];
                if (token == AnyOne)
                    continue;
                var mask = MaskFor(token);
                if (ReferenceEquals(mask, _anyMask))
                {
                    mask = (ulong[])_anyMask.Clone();
                    if (token < 128)
                        _asciiMasks[token] = mask;
                    else
                        _otherMasks[token] = mask;
                }
                mask[j / 64] |= 1UL << (j % 64);
            }
        }

        private ulong[] MaskFor(int c) => c < 128 ? _asciiMasks[c] : _otherMasks.GetValueOrDefault(c, _anyMask);

        public override int FindEnd(ReadOnlySpan<char> text, int from, bool ignoreCase, ref long work)
        {
            // state bit j: tokens 0..j match the code points ending here. Small segments fit one word.
            Span<ulong> state = _words <= 16 ? stackalloc ulong[_words] : new ulong[_words];
            state.Clear();
            var last = _length - 1;
            for (var i = from; i < text.Length; i++)
            {
                work += _words;
                var c = Fold(CodePoint(text, ref i), ignoreCase);
                var mask = MaskFor(c);
                var carry = 1UL;
                for (var w = 0; w < _words; w++)
                {
                    var shifted = (state[w] << 1) | carry;
                    carry = state[w] >> 63;
                    state[w] = shifted & mask[w];
                }
                if ((state[last / 64] & (1UL << (last % 64))) != 0)
                    return i + 1;
            }
            return -1;
        }
    }
}
