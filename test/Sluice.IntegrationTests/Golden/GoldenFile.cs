using System.Globalization;
using System.Text;
using Sluice.IntegrationTests.Supabase;

namespace Sluice.IntegrationTests.Golden;

/// <summary>
/// Compares a normalized transcript with its committed golden file in test/Sluice.IntegrationTests/Golden/, line by line and
/// character by character. With <c>SLUICE_UPDATE_GOLDEN=1</c> it rewrites the file in the source tree instead (only when the
/// script ran to its end), for a deliberate change of the wire format: review the file's diff before committing it.
/// </summary>
public static class GoldenFile
{
    public const string UpdateVariable = "SLUICE_UPDATE_GOLDEN";

    private const int ContextLines = 4;

    public static string SourcePath(string fileName) =>
        Path.Combine(CompatScripts.RepositoryRoot(), "test", "Sluice.IntegrationTests", "Golden", fileName);

    /// <summary>
    /// Normalizes <paramref name="rawLines"/> and compares them with the golden file; fails with the first differing line
    /// (expected and actual, with the lines before it). <paramref name="scriptFailure"/> is the exception that stopped the
    /// script early, if any: then the transcript so far is compared, and the failure reported with it.
    /// </summary>
    public static void Verify(string fileName, IReadOnlyList<string> rawLines, Exception? scriptFailure)
    {
        var actual = new FrameNormalizer().Normalize(rawLines).ToList();
        var path = SourcePath(fileName);
        var actualPath = Path.Combine(AppContext.BaseDirectory, Path.ChangeExtension(fileName, ".actual.txt"));
        File.WriteAllText(actualPath, Join(actual), new UTF8Encoding(false));

        if (Environment.GetEnvironmentVariable(UpdateVariable) == "1")
        {
            if (scriptFailure is not null)
                throw new InvalidOperationException($"{fileName} was not rewritten: the script failed (transcript so far: {actualPath})", scriptFailure);
            File.WriteAllText(path, Join(actual), new UTF8Encoding(false));
            return;
        }
        if (!File.Exists(path))
            Assert.Fail($"{path} does not exist: run the test with {UpdateVariable}=1 to write it, then review it. Transcript: {actualPath}");

        var expected = File.ReadAllText(path, Encoding.UTF8).Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n').ToList();
        if (expected.Count > 0 && expected[^1].Length == 0)
            expected.RemoveAt(expected.Count - 1);

        var message = Compare(fileName, expected, actual, scriptFailure);
        if (message is not null)
            Assert.Fail($"{message}\nwhole transcript of this run: {actualPath}\ngolden file: {path} ({UpdateVariable}=1 rewrites it after a deliberate change)");
    }

    /// <summary>Null when the transcript equals the golden file (and the script did not fail); else a readable account of the first difference.</summary>
    internal static string? Compare(string fileName, IReadOnlyList<string> expected, IReadOnlyList<string> actual, Exception? scriptFailure)
    {
        var common = Math.Min(expected.Count, actual.Count);
        var first = 0;
        while (first < common && string.Equals(expected[first], actual[first], StringComparison.Ordinal))
            first++;

        var text = new StringBuilder();
        if (first < common)
        {
            text.Append(CultureInfo.InvariantCulture, $"{fileName}: line {first + 1} differs from the golden file\n");
            AppendContext(text, expected, first);
            text.Append(CultureInfo.InvariantCulture, $"  expected: {expected[first]}\n");
            text.Append(CultureInfo.InvariantCulture, $"  actual:   {actual[first]}\n");
            text.Append(CultureInfo.InvariantCulture, $"  (first difference at character {Column(expected[first], actual[first]) + 1})\n");
        }
        else if (actual.Count > expected.Count)
        {
            text.Append(CultureInfo.InvariantCulture, $"{fileName}: the transcript goes on after the golden file's last line ({expected.Count})\n");
            AppendContext(text, expected, first);
            text.Append("  expected: (end of file)\n");
            text.Append(CultureInfo.InvariantCulture, $"  actual:   {actual[first]}\n");
        }
        else if (expected.Count > actual.Count)
        {
            if (scriptFailure is null)
                text.Append(CultureInfo.InvariantCulture, $"{fileName}: the transcript ends at line {actual.Count}, the golden file goes on\n");
            else
                text.Append(CultureInfo.InvariantCulture, $"{fileName}: the transcript matched the golden file up to line {actual.Count}, then the script failed\n");
            AppendContext(text, expected, first);
            text.Append(CultureInfo.InvariantCulture, $"  expected: {expected[first]}\n");
            text.Append("  actual:   (nothing more)\n");
        }
        if (scriptFailure is not null)
            text.Append(CultureInfo.InvariantCulture, $"the script stopped: {scriptFailure}\n");
        return text.Length == 0 ? null : text.ToString().TrimEnd('\n');
    }

    private static void AppendContext(StringBuilder text, IReadOnlyList<string> expected, int first)
    {
        for (var i = Math.Max(0, first - ContextLines); i < first; i++)
            text.Append(CultureInfo.InvariantCulture, $"  {i + 1,5}  {expected[i]}\n");
    }

    private static int Column(string expected, string actual)
    {
        var i = 0;
        while (i < expected.Length && i < actual.Length && expected[i] == actual[i])
            i++;
        return i;
    }

    private static string Join(IEnumerable<string> lines) => string.Join('\n', lines) + "\n";
}
