using CsCheck;
using Sluice.Server.Filters;

namespace Sluice.Tests.Filters;

/// <summary>
/// LIKE / ILIKE: the same answers as a plain backtracking matcher over code points (the definition), and work linear in
/// the value whatever the pattern — counted, not timed.
/// </summary>
public sealed class LikePatternTests
{
    private static LikePattern Compile(string pattern, bool ignoreCase = false)
    {
        Assert.True(LikePattern.TryCreate(pattern, ignoreCase, out var like, out var error), error);
        return like!;
    }

    /// <summary>The definition: tokens over code points, % as any run, _ as one, backslash escapes; by recursion.</summary>
    private static bool Reference(string pattern, string text, bool ignoreCase)
    {
        var tokens = new List<(int Kind, int Value)>(); // 0 literal, 1 _, 2 %
        for (var i = 0; i < pattern.Length; i++)
        {
            if (pattern[i] == '\\')
            {
                i++;
                tokens.Add((0, Fold(char.ConvertToUtf32(pattern, i), ignoreCase)));
                if (char.IsHighSurrogate(pattern[i]))
                    i++;
            }
            else if (pattern[i] == '%')
                tokens.Add((2, 0));
            else if (pattern[i] == '_')
                tokens.Add((1, 0));
            else
            {
                tokens.Add((0, Fold(char.ConvertToUtf32(pattern, i), ignoreCase)));
                if (char.IsHighSurrogate(pattern[i]))
                    i++;
            }
        }
        var points = new List<int>();
        for (var i = 0; i < text.Length; i++)
        {
            points.Add(Fold(char.ConvertToUtf32(text, i), ignoreCase));
            if (char.IsHighSurrogate(text[i]))
                i++;
        }
        var memo = new Dictionary<(int, int), bool>();
        return Match(0, 0);

        bool Match(int t, int p)
        {
            if (memo.TryGetValue((t, p), out var known))
                return known;
            bool result;
            if (t == tokens.Count)
                result = p == points.Count;
            else if (tokens[t].Kind == 2)
                result = Match(t + 1, p) || (p < points.Count && Match(t, p + 1));
            else
                result = p < points.Count && (tokens[t].Kind == 1 || tokens[t].Value == points[p]) && Match(t + 1, p + 1);
            memo[(t, p)] = result;
            return result;
        }

        static int Fold(int c, bool ignoreCase) => ignoreCase && c <= char.MaxValue ? char.ToLowerInvariant((char)c) : c;
    }

    private static readonly Gen<string> PatternGen = Gen.OneOf(Gen.Const("a"), Gen.Const("A"), Gen.Const("b"), Gen.Const("%"), Gen.Const("_"),
        Gen.Const("\\%"), Gen.Const("\\_"), Gen.Const("é"), Gen.Const("😀")).Array[0, 8].Select(parts => string.Concat(parts));

    private static readonly Gen<string> TextGen = Gen.OneOf(Gen.Const("a"), Gen.Const("A"), Gen.Const("b"), Gen.Const("%"), Gen.Const("_"),
        Gen.Const("é"), Gen.Const("É"), Gen.Const("😀")).Array[0, 10].Select(parts => string.Concat(parts));

    [Fact]
    public void Agrees_with_the_definition()
    {
        Gen.Select(PatternGen, TextGen, Gen.Bool).Sample((pattern, text, ignoreCase) =>
            Compile(pattern, ignoreCase).IsMatch(text) == Reference(pattern, text, ignoreCase), iter: 20_000);
    }

    [Theory]
    [InlineData("%😀", "a😀", true)]
    [InlineData("_", "😀", true)]
    [InlineData("__", "😀", false)]
    [InlineData("a_b", "a😀b", true)]
    [InlineData("%a%b%c%", "xxaxxbxxcxx", true)]
    [InlineData("%a%b%c%", "xxcxxbxxaxx", false)]
    [InlineData("%ab_d%", "xxabxdabcd", true)]
    [InlineData("%ab_d", "abcdabxd", true)]
    [InlineData("ab%ab", "ab", false)]
    [InlineData("ab%ab", "abab", true)]
    public void Matches_characters_not_utf16_units_and_places_segments_in_order(string pattern, string text, bool expected) =>
        Assert.Equal(expected, Compile(pattern).IsMatch(text));

    /// <summary>The hostile filters of issue 16: 980 a's then b, as suffix, middle and with _; and many _ between %s.</summary>
    public static TheoryData<string, bool> Hostile => new()
    {
        { "%" + new string('a', 980) + "b", false },
        { "%" + new string('a', 979) + "b%", false },
        { "%" + new string('a', 490) + new string('_', 490) + "b%", false },
        { "%" + string.Concat(Enumerable.Repeat("a%", 300)) + "b", false },
        { string.Concat(Enumerable.Repeat("%_", 450)) + "b", true },
    };

    [Theory]
    [MemberData(nameof(Hostile))]
    public void Work_is_linear_in_the_value_whatever_the_pattern(string pattern, bool ignoreCase)
    {
        var like = Compile(pattern, ignoreCase);
        var words = (pattern.Length + 63) / 64;
        foreach (var length in new[] { 10_000, 100_000, 1_000_000 })
        {
            var text = new string('a', length);
            long work = 0;
            Assert.False(like.IsMatch(text, ref work));
            Assert.True(work <= 2L * (length + pattern.Length) * words, $"{work} steps for a value of {length} characters ({words} words)");
        }
    }

    [Fact]
    public void Work_stays_linear_on_random_patterns_and_values()
    {
        var value = Gen.OneOf(Gen.Const('a'), Gen.Const('b')).Array[0, 2000].Select(chars => new string(chars));
        var pattern = Gen.OneOf(Gen.Const("a"), Gen.Const("b"), Gen.Const("%"), Gen.Const("_")).Array[0, 120].Select(parts => string.Concat(parts));
        Gen.Select(pattern, value).Sample((p, v) =>
        {
            long work = 0;
            Compile(p).IsMatch(v, ref work);
            return work <= 2L * (v.Length + p.Length) * ((p.Length + 63) / 64);
        }, iter: 2_000);
    }
}
