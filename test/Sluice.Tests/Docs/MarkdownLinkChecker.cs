using System.Globalization;
using System.Text;
using Markdig;
using Markdig.Syntax;
using Markdig.Syntax.Inlines;

namespace Sluice.Tests.Docs;

/// <summary>
/// Finds relative links in a tree of Markdown files that lead nowhere: a file or folder that does not exist, or a
/// <c>#anchor</c> that no heading of the target file produces under GitHub's rules (<see cref="GitHubSlug"/>).
/// Markdig parses the files, so links inside code blocks and code spans are not links, as on GitHub.
/// </summary>
public static class MarkdownLinkChecker
{
    private static readonly MarkdownPipeline Pipeline = new MarkdownPipelineBuilder().UsePipeTables().Build();

    /// <summary>Folders whose Markdown is generated or third-party, never the repository's own documentation.</summary>
    private static readonly HashSet<string> SkippedFolders = new(StringComparer.Ordinal)
    {
        "bin", "obj", "node_modules", "artifacts", "TestResults",
    };

    /// <summary>One broken link: the file it is in (relative to the root), its line, its target and why.</summary>
    public sealed record BrokenLink(string File, int Line, string Target, string Reason)
    {
        public override string ToString() => $"{File}:{Line}: ({Target}) {Reason}";
    }

    /// <summary>Every *.md file under <paramref name="root"/>, outside build output, dependencies and hidden folders.</summary>
    public static IEnumerable<string> MarkdownFiles(string root)
    {
        var pending = new Stack<string>([root]);
        while (pending.Count > 0)
        {
            var folder = pending.Pop();
            foreach (var file in Directory.EnumerateFiles(folder, "*.md"))
                yield return file;
            foreach (var child in Directory.EnumerateDirectories(folder))
            {
                var name = Path.GetFileName(child);
                if (!name.StartsWith('.') && !SkippedFolders.Contains(name))
                    pending.Push(child);
            }
        }
    }

    public static IReadOnlyList<BrokenLink> FindBroken(string root)
    {
        var anchors = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        HashSet<string> AnchorsOf(string file)
        {
            if (!anchors.TryGetValue(file, out var set))
                anchors[file] = set = HeadingAnchors(Markdown.Parse(File.ReadAllText(file), Pipeline));
            return set;
        }

        var broken = new List<BrokenLink>();
        foreach (var file in MarkdownFiles(root).Order(StringComparer.Ordinal))
        {
            var document = Markdown.Parse(File.ReadAllText(file), Pipeline);
            var relativeName = Path.GetRelativePath(root, file).Replace('\\', '/');
            foreach (var link in document.Descendants<LinkInline>())
            {
                if (Check(file, link.Url, AnchorsOf) is { } reason)
                    broken.Add(new BrokenLink(relativeName, link.Line + 1, link.Url ?? "", reason));
            }
            foreach (var definition in document.Descendants<Markdig.Syntax.LinkReferenceDefinition>())
            {
                if (Check(file, definition.Url, AnchorsOf) is { } reason)
                    broken.Add(new BrokenLink(relativeName, definition.Line + 1, definition.Url ?? "", reason));
            }
        }
        return broken;
    }

    /// <summary>Null when the link resolves (or is not a relative link); otherwise why it does not.</summary>
    private static string? Check(string file, string? url, Func<string, HashSet<string>> anchorsOf)
    {
        if (string.IsNullOrEmpty(url))
            return "empty or unresolved link";
        if (IsExternal(url))
            return null;
        var hash = url.IndexOf('#', StringComparison.Ordinal);
        var pathPart = hash >= 0 ? url[..hash] : url;
        var anchor = hash >= 0 ? Uri.UnescapeDataString(url[(hash + 1)..]) : null;
        if (pathPart.Contains('?', StringComparison.Ordinal))
            pathPart = pathPart[..pathPart.IndexOf('?', StringComparison.Ordinal)];

        var target = pathPart.Length == 0
            ? file
            : Path.GetFullPath(Path.Combine(Path.GetDirectoryName(file)!, Uri.UnescapeDataString(pathPart)));
        if (!File.Exists(target))
            return Directory.Exists(target) && anchor is null ? null : "no such file";
        if (anchor is null)
            return null;
        if (!target.EndsWith(".md", StringComparison.OrdinalIgnoreCase))
            return "an anchor into a file that is not Markdown";
        return anchorsOf(target).Contains(anchor) ? null : $"no heading makes the anchor #{anchor}";
    }

    /// <summary>A link with a scheme (<c>https:</c>, <c>mailto:</c>) or a protocol-relative one leaves the repository.</summary>
    private static bool IsExternal(string url) =>
        url.StartsWith("//", StringComparison.Ordinal)
        || (url.IndexOf(':', StringComparison.Ordinal) is > 1 and var colon
            && url[..colon].All(static c => char.IsAsciiLetterOrDigit(c) || c is '+' or '-' or '.'));

    /// <summary>The anchors GitHub gives the headings of a document, in order, with -1, -2 … for repeated ones.</summary>
    public static HashSet<string> HeadingAnchors(MarkdownDocument document)
    {
        var anchors = new HashSet<string>(StringComparer.Ordinal);
        var occurrences = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var heading in document.Descendants<HeadingBlock>())
        {
            var slug = GitHubSlug(PlainText(heading.Inline));
            var unique = slug;
            while (anchors.Contains(unique))
            {
                occurrences[slug] = occurrences.GetValueOrDefault(slug) + 1;
                unique = slug + "-" + occurrences[slug].ToString(CultureInfo.InvariantCulture);
            }
            anchors.Add(unique);
        }
        return anchors;
    }

    /// <summary>
    /// GitHub's anchor for a heading's text (the rules of github-slugger): lower case; every character dropped except
    /// letters, marks, decimal and letter numbers, connector punctuation (<c>_</c>), <c>-</c> and spaces; each space
    /// becomes <c>-</c>. So <c>C#</c> → <c>c</c> and <c>A — B</c> → <c>a--b</c>.
    /// </summary>
    public static string GitHubSlug(string text)
    {
        var slug = new StringBuilder(text.Length);
        foreach (var rune in text.ToLowerInvariant().EnumerateRunes())
        {
            if (rune.Value == ' ')
            {
                slug.Append('-');
                continue;
            }
            var keep = rune.Value == '-' || Rune.GetUnicodeCategory(rune) switch
            {
                UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter or UnicodeCategory.TitlecaseLetter
                    or UnicodeCategory.ModifierLetter or UnicodeCategory.OtherLetter => true,
                UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark or UnicodeCategory.EnclosingMark => true,
                UnicodeCategory.DecimalDigitNumber or UnicodeCategory.LetterNumber => true,
                UnicodeCategory.ConnectorPunctuation => true,
                _ => false,
            };
            if (keep)
                slug.Append(rune.ToString());
        }
        return slug.ToString();
    }

    /// <summary>The text a heading shows: code spans without their backticks, links as their text, no formatting.</summary>
    private static string PlainText(ContainerInline? inlines)
    {
        var text = new StringBuilder();
        void Walk(Inline? inline)
        {
            for (; inline is not null; inline = inline.NextSibling)
            {
                switch (inline)
                {
                    case LiteralInline literal: text.Append(literal.Content.ToString()); break;
                    case CodeInline code: text.Append(code.Content); break;
                    case HtmlEntityInline entity: text.Append(entity.Transcoded.ToString()); break;
                    case AutolinkInline autolink: text.Append(autolink.Url); break;
                    case LineBreakInline: text.Append(' '); break;
                    case ContainerInline container: Walk(container.FirstChild); break;
                    default: break;
                }
            }
        }
        Walk(inlines?.FirstChild);
        return text.ToString().Trim();
    }
}
