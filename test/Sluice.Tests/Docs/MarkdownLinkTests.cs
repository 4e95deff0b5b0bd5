using Markdig;

namespace Sluice.Tests.Docs;

/// <summary>The repository's documentation links only to files and headings that exist, so moved sections cannot leave dead links.</summary>
public sealed class MarkdownLinkTests
{
    [Fact]
    public void Every_relative_link_and_anchor_in_the_repository_resolves()
    {
        var root = RepositoryRoot();
        Assert.Contains(MarkdownLinkChecker.MarkdownFiles(root), file => file.EndsWith("README.md", StringComparison.Ordinal));

        var broken = MarkdownLinkChecker.FindBroken(root);

        Assert.True(broken.Count == 0, "broken links:\n" + string.Join('\n', broken));
    }

    [Fact]
    public void The_checker_reports_a_missing_file_a_missing_anchor_and_accepts_what_exists()
    {
        var root = Directory.CreateTempSubdirectory("sluice-links-").FullName;
        try
        {
            Directory.CreateDirectory(Path.Combine(root, "docs"));
            File.WriteAllText(Path.Combine(root, "docs", "guide.md"), "# Guide\n\n## Set-up: step 1\n\n## Set-up: step 1\n");
            File.WriteAllText(Path.Combine(root, "README.md"), string.Join('\n',
                "# Read me",
                "[ok](docs/guide.md) [ok](docs/guide.md#set-up-step-1-1) [ok](#read-me) [ok](docs/) [ok](https://example.com/x.md#nope)",
                "[missing file](docs/nothing.md) [missing anchor](docs/guide.md#setup) [missing local anchor](#nope)",
                "`[in code](docs/nothing.md)`",
                "```",
                "[in a code block](docs/nothing.md)",
                "```"));
            Directory.CreateDirectory(Path.Combine(root, "bin"));
            File.WriteAllText(Path.Combine(root, "bin", "ignored.md"), "[build output](nothing.md)");

            var broken = MarkdownLinkChecker.FindBroken(root);

            Assert.Equal(["docs/nothing.md", "docs/guide.md#setup", "#nope"], broken.Select(link => link.Target));
            Assert.All(broken, link => Assert.Equal(("README.md", 3), (link.File, link.Line)));
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Theory]
    [InlineData("C#", "c")]
    [InlineData("Quick start", "quick-start")]
    [InlineData("Capture — changes/s (baseline: `pg_recvlogical`, pgoutput → /dev/null)", "capture--changess-baseline-pg_recvlogical-pgoutput--devnull")]
    [InlineData("The C# SDK (`Sluice.Client`)", "the-c-sdk-sluiceclient")]
    [InlineData("Backup, restore and failover: what happens to offsets", "backup-restore-and-failover-what-happens-to-offsets")]
    [InlineData("Scaling: what 1M connections and 1M deliveries/s would need", "scaling-what-1m-connections-and-1m-deliveriess-would-need")]
    [InlineData("Re-check after row-level security (2026-11-23, third session)", "re-check-after-row-level-security-2026-11-23-third-session")]
    [InlineData("snake_case and Ünïcode 🚀", "snake_case-and-ünïcode-")]
    public void Anchors_follow_GitHubs_rules(string heading, string anchor) =>
        Assert.Equal(anchor, MarkdownLinkChecker.GitHubSlug(heading));

    [Fact]
    public void Repeated_headings_get_numbered_anchors_and_formatting_is_ignored()
    {
        var document = Markdown.Parse("# Limits\n## Limits\n## *Limits*\n### [Linked](x.md) `code`\n");

        var anchors = MarkdownLinkChecker.HeadingAnchors(document);

        Assert.Equal(["limits", "limits-1", "limits-2", "linked-code"], anchors.Order(StringComparer.Ordinal));
    }

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Sluice.slnx")))
                return directory.FullName;
        }
        throw new InvalidOperationException("Sluice.slnx not found above " + AppContext.BaseDirectory);
    }
}
