using System.Text.RegularExpressions;

namespace Sluice.IntegrationTests.Golden;

/// <summary>
/// Replaces what differs from run to run in a golden transcript with stable placeholders, and nothing else: every other
/// character of a line is kept as it was. One instance normalizes one transcript, line by line in order, so each kind of
/// value is numbered in order of first appearance (in frames of either direction) and equal values get equal placeholders.
/// </summary>
/// <remarks>
/// The rules, applied to each line in this order:
/// <list type="bullet">
/// <item>a JWT (<c>eyJ…</c>.<c>…</c>.<c>…</c>) → <c>&lt;jwt#N&gt;</c>: tokens carry their issue time and signature;</item>
/// <item>a change offset <c>{epoch}-{commit LSN}-{index}</c> → <c>&lt;epoch#N&gt;-&lt;lsn#N&gt;-{index}</c>: the log epoch is
/// drawn at random per slot and LSNs depend on the cluster's WAL; the index inside the transaction is kept;</item>
/// <item>a commit timestamp (<c>…T…:…:….ffffffZ</c> on the native protocol, <c>….fffZ</c> on Supabase) → <c>&lt;ts#N&gt;</c>,
/// where N is the number of the LSN of the one offset on the same line (on a line with several, as a <c>changes</c> frame
/// has, the offset nearest before the timestamp: each element's): a commit time belongs to its transaction, and two
/// transactions may share a millisecond, so numbering the values themselves would depend on timing. A timestamp that
/// disagrees with an earlier one of its LSN, or one without its LSN, gets <c>&lt;ts?…&gt;</c> with the raw value, which no
/// golden file holds;</item>
/// <item>a room offset <c>r{epoch}-{sequence}</c> → <c>r&lt;room-epoch#N&gt;-{sequence}</c>: the room epoch is drawn per server
/// run; the sequence (a counter of the fresh server) is kept;</item>
/// <item>a presence ref (native <c>"key":…,"ref":"N"</c>, Supabase <c>"phx_ref":"N"</c>) → <c>&lt;presence-ref#N&gt;</c>:
/// opaque to clients; numbered so a leave visibly names the entry that joined;</item>
/// <item>a UUID → <c>&lt;uuid#N&gt;</c> (the presence key the server picks for a Supabase join without one);</item>
/// <item><c>conn-{number}</c> → <c>conn-&lt;conn#N&gt;</c> (the presence key of an anonymous connection, from a process-wide counter);</item>
/// <item><c>127.0.0.1:{port}</c> → <c>127.0.0.1:&lt;port&gt;</c>.</item>
/// </list>
/// </remarks>
public sealed partial class FrameNormalizer
{
    private readonly Dictionary<string, Dictionary<string, int>> _numbers = new(StringComparer.Ordinal);
    private readonly Dictionary<int, string> _timestampOfLsn = [];

    public IEnumerable<string> Normalize(IEnumerable<string> lines) => lines.Select(Normalize);

    public string Normalize(string line)
    {
        line = Jwt().Replace(line, m => Placeholder("jwt", m.Value));
        var lsns = ChangeOffset().Matches(line).Select(m => (m.Index, Lsn: Number("lsn", m.Groups["lsn"].Value))).ToList();
        // Each timestamp's LSN: the line's only one, or else the nearest offset before it; found on the raw line.
        var timestampLsns = CommitTimestamp().Matches(line).Select(m =>
            lsns.Select(l => l.Lsn).Distinct().Count() == 1 ? lsns[0].Lsn : lsns.Where(l => l.Index < m.Index).Select(l => l.Lsn).DefaultIfEmpty(-1).Last()).ToList();
        line = ChangeOffset().Replace(line, m => $"{Placeholder("epoch", m.Groups["epoch"].Value)}-<lsn#{Number("lsn", m.Groups["lsn"].Value)}>-{m.Groups["index"].Value}");
        var next = 0;
        line = CommitTimestamp().Replace(line, m => TimestampPlaceholder(m.Value, timestampLsns[next++]));
        line = RoomOffset().Replace(line, m => $"r{Placeholder("room-epoch", m.Groups["epoch"].Value)}-{m.Groups["sequence"].Value}");
        line = PresenceRef().Replace(line, m => m.Groups["prefix"].Value + Placeholder("presence-ref", m.Groups["ref"].Value) + "\"");
        line = Uuid().Replace(line, m => Placeholder("uuid", m.Value));
        line = ConnectionKey().Replace(line, m => "conn-" + Placeholder("conn", m.Groups["id"].Value));
        return LoopbackPort().Replace(line, "127.0.0.1:<port>");
    }

    private string TimestampPlaceholder(string value, int lsn)
    {
        if (lsn < 0)
            return $"<ts?{value}>";
        if (!_timestampOfLsn.TryAdd(lsn, value) && _timestampOfLsn[lsn] != value)
            return $"<ts?{value}>";
        return $"<ts#{lsn}>";
    }

    private string Placeholder(string kind, string value) => $"<{kind}#{Number(kind, value)}>";

    private int Number(string kind, string value)
    {
        if (!_numbers.TryGetValue(kind, out var numbers))
            _numbers[kind] = numbers = new Dictionary<string, int>(StringComparer.Ordinal);
        if (!numbers.TryGetValue(value, out var number))
            numbers[value] = number = numbers.Count + 1;
        return number;
    }

    [GeneratedRegex(@"eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*")]
    private static partial Regex Jwt();

    [GeneratedRegex(@"(?<![0-9A-Za-z])(?<epoch>[0-9a-f]{8})-(?<lsn>[0-9A-F]{16})-(?<index>[0-9A-F]{8})(?![0-9A-Za-z])")]
    private static partial Regex ChangeOffset();

    [GeneratedRegex(@"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.(?:\d{6}|\d{3})Z")]
    private static partial Regex CommitTimestamp();

    [GeneratedRegex(@"(?<![0-9A-Za-z])r(?<epoch>[0-9a-f]{8})-(?<sequence>[0-9a-f]{16})(?![0-9A-Za-z])")]
    private static partial Regex RoomOffset();

    [GeneratedRegex(@"(?<prefix>""key"":""(?:[^""\\]|\\.)*"",""ref"":""|""phx_ref"":"")(?<ref>\d+)""")]
    private static partial Regex PresenceRef();

    [GeneratedRegex(@"(?<![0-9A-Za-z])[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}(?![0-9A-Za-z])")]
    private static partial Regex Uuid();

    [GeneratedRegex(@"(?<![0-9A-Za-z])conn-(?<id>\d+)")]
    private static partial Regex ConnectionKey();

    [GeneratedRegex(@"127\.0\.0\.1:\d+")]
    private static partial Regex LoopbackPort();
}
