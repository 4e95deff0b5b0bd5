namespace Sluice.IntegrationTests.Golden;

/// <summary>The golden tests' normalizer and comparison on their own (no server): what they replace, and what they must leave alone.</summary>
public sealed class FrameNormalizerTests
{
    [Fact]
    public void Offsets_keep_their_index_and_number_epochs_and_lsns_in_order_of_appearance()
    {
        var normalizer = new FrameNormalizer();
        Assert.Equal("""{"offset":"<epoch#1>-<lsn#1>-00000002"}""", normalizer.Normalize("""{"offset":"3f2a9c01-00000000016B3748-00000002"}"""));
        Assert.Equal("""{"offset":"<epoch#1>-<lsn#2>-00000000"}""", normalizer.Normalize("""{"offset":"3f2a9c01-00000000016B3750-00000000"}"""));
        Assert.Equal("""since <epoch#2>-<lsn#1>-FFFFFFFF""", normalizer.Normalize("since 00000000-00000000016B3748-FFFFFFFF"));
    }

    [Fact]
    public void A_commit_timestamp_is_numbered_like_the_lsn_on_its_line()
    {
        var normalizer = new FrameNormalizer();
        Assert.Equal("""{"offset":"<epoch#1>-<lsn#1>-00000000","commit_timestamp":"<ts#1>"}""",
            normalizer.Normalize("""{"offset":"3f2a9c01-00000000016B3748-00000000","commit_timestamp":"2025-01-31T12:00:00.123456Z"}"""));
        // Supabase's millisecond form comes before the offset; another transaction in the same millisecond stays apart.
        Assert.Equal("""{"commit_timestamp":"<ts#2>","offset":"<epoch#1>-<lsn#2>-00000000"}""",
            normalizer.Normalize("""{"commit_timestamp":"2025-01-31T12:00:00.123Z","offset":"3f2a9c01-00000000016B3750-00000000"}"""));
        Assert.Equal("""{"commit_timestamp":"<ts#3>","offset":"<epoch#1>-<lsn#3>-00000000"}""",
            normalizer.Normalize("""{"commit_timestamp":"2025-01-31T12:00:00.123Z","offset":"3f2a9c01-00000000016B3758-00000000"}"""));
    }

    [Fact]
    public void In_a_changes_frame_each_commit_timestamp_belongs_to_the_offset_before_it()
    {
        var normalizer = new FrameNormalizer();
        Assert.Equal(
            """{"type":"changes","changes":[{"offset":"<epoch#1>-<lsn#1>-00000000","commit_timestamp":"<ts#1>"},{"offset":"<epoch#1>-<lsn#2>-00000000","commit_timestamp":"<ts#2>"},{"offset":"<epoch#1>-<lsn#2>-00000001","commit_timestamp":"<ts#2>"}]}""",
            normalizer.Normalize("""{"type":"changes","changes":[{"offset":"3f2a9c01-00000000016B3748-00000000","commit_timestamp":"2025-01-31T12:00:00.123456Z"},{"offset":"3f2a9c01-00000000016B3750-00000000","commit_timestamp":"2025-01-31T12:00:00.223456Z"},{"offset":"3f2a9c01-00000000016B3750-00000001","commit_timestamp":"2025-01-31T12:00:00.223456Z"}]}"""));
        // A timestamp that disagrees with the one its LSN had earlier still stays raw.
        Assert.Equal(
            """[{"offset":"<epoch#1>-<lsn#1>-00000000","commit_timestamp":"<ts?2025-01-31T12:00:00.999999Z>"},{"offset":"<epoch#1>-<lsn#2>-00000000","commit_timestamp":"<ts#2>"}]""",
            normalizer.Normalize("""[{"offset":"3f2a9c01-00000000016B3748-00000000","commit_timestamp":"2025-01-31T12:00:00.999999Z"},{"offset":"3f2a9c01-00000000016B3750-00000000","commit_timestamp":"2025-01-31T12:00:00.223456Z"}]"""));
    }

    [Fact]
    public void A_commit_timestamp_that_cannot_be_tied_to_one_transaction_stays_raw_so_no_golden_file_matches_it()
    {
        var normalizer = new FrameNormalizer();
        Assert.Equal("""{"t":"<ts?2025-01-31T12:00:00.123456Z>"}""", normalizer.Normalize("""{"t":"2025-01-31T12:00:00.123456Z"}"""));
        normalizer.Normalize("""{"offset":"3f2a9c01-00000000016B3748-00000000","commit_timestamp":"2025-01-31T12:00:00.123456Z"}""");
        Assert.Equal("""{"offset":"<epoch#1>-<lsn#1>-00000001","commit_timestamp":"<ts?2025-01-31T12:00:00.999999Z>"}""",
            normalizer.Normalize("""{"offset":"3f2a9c01-00000000016B3748-00000001","commit_timestamp":"2025-01-31T12:00:00.999999Z"}"""));
    }

    [Fact]
    public void Tokens_room_offsets_presence_refs_uuids_connection_keys_and_ports_get_placeholders()
    {
        var normalizer = new FrameNormalizer();
        Assert.Equal("> a [connect ws://127.0.0.1:<port>/realtime?token=<jwt#1>]",
            normalizer.Normalize("> a [connect ws://127.0.0.1:40123/realtime?token=eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1In0.c2ln-_x]"));
        Assert.Equal("""{"offset":"r<room-epoch#1>-0000000000000007"}""", normalizer.Normalize("""{"offset":"r5f3a9c01-0000000000000007"}"""));
        Assert.Equal("""{"key":"conn-<conn#1>","ref":"<presence-ref#1>","state":{}},{"key":"a\"b","ref":"<presence-ref#2>"}""",
            normalizer.Normalize("""{"key":"conn-17","ref":"42","state":{}},{"key":"a\"b","ref":"43"}"""));
        Assert.Equal("""{"<uuid#1>":{"metas":[{"phx_ref":"<presence-ref#1>"}]}}""",
            normalizer.Normalize("""{"0f8fad5b-d9cb-469f-a165-70867728950e":{"metas":[{"phx_ref":"42"}]}}"""));
    }

    [Fact]
    public void Everything_else_is_left_as_it_is()
    {
        var lines = new[]
        {
            """< c {"type":"heartbeat","ref":"k1"}""",
            """{"ref":"c1","event":"cursor","payload":{"id":"0f8fad5b","at":"2025-01-31T12:00:00.123456+00:00"}}""",
            """{"phx_ref":"spoofed","ids":[1313318170],"channel":"room:g01"}""",
            "# sql: INSERT INTO t VALUES (1, 'r00000000-00')",
        };
        Assert.Equal(lines, new FrameNormalizer().Normalize(lines));
    }

    [Fact]
    public void Compare_names_the_first_differing_line_with_expected_and_actual()
    {
        var message = GoldenFile.Compare("x.golden.txt", ["a", "b", "c"], ["a", "B", "c"], scriptFailure: null);
        Assert.NotNull(message);
        Assert.Contains("line 2 differs", message, StringComparison.Ordinal);
        Assert.Contains("expected: b", message, StringComparison.Ordinal);
        Assert.Contains("actual:   B", message, StringComparison.Ordinal);
        Assert.Null(GoldenFile.Compare("x.golden.txt", ["a", "b"], ["a", "b"], scriptFailure: null));
    }

    [Fact]
    public void Compare_reports_a_transcript_that_is_longer_shorter_or_cut_short_by_a_failure()
    {
        Assert.Contains("expected: (end of file)", GoldenFile.Compare("x", ["a"], ["a", "b"], null), StringComparison.Ordinal);
        Assert.Contains("the transcript ends at line 1", GoldenFile.Compare("x", ["a", "b"], ["a"], null), StringComparison.Ordinal);
        var failed = GoldenFile.Compare("x", ["a", "b"], ["a"], new TimeoutException("no frame"));
        Assert.Contains("matched the golden file up to line 1, then the script failed", failed, StringComparison.Ordinal);
        Assert.Contains("expected: b", failed, StringComparison.Ordinal);
        Assert.Contains("no frame", failed, StringComparison.Ordinal);
        Assert.Contains("no frame", GoldenFile.Compare("x", ["a"], ["a"], new TimeoutException("no frame")), StringComparison.Ordinal);
    }
}
