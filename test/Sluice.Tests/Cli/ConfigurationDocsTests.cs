using System.Text.RegularExpressions;
using Sluice.Server.Cli;
using Sluice.Server.Hosting;

namespace Sluice.Tests.Cli;

/// <summary>docs/configuration.md's table and <c>sluice --help</c> agree: every switch is in both, with the same setting and default.</summary>
public sealed partial class ConfigurationDocsTests
{
    [Fact]
    public void Every_switch_row_names_its_setting_and_the_default_the_help_gives()
    {
        var rows = File.ReadAllLines(Path.Combine(RepositoryRoot(), "docs", "configuration.md"))
            .Select(static line => Row().Match(line))
            .Where(static match => match.Success)
            .ToDictionary(static match => match.Groups[1].Value, static match => (Setting: match.Groups[2].Value, Default: match.Groups[3].Value));

        foreach (var (name, setting) in SluiceServerBuilder.SwitchMappings)
        {
            Assert.True(rows.TryGetValue(name, out var row), $"docs/configuration.md has no row for {name}");
            Assert.Equal(setting, row.Setting);
            var helpDefault = Default().Match(ServeSwitches.Descriptions[name]).Groups[1].Value;
            foreach (var word in Words().Matches(row.Default).Select(static match => match.Value))
                Assert.True(helpDefault.Contains(word, StringComparison.OrdinalIgnoreCase), $"{name}: the docs' default \"{row.Default}\" is not the help's \"{helpDefault}\"");
        }
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

    [GeneratedRegex(@"^\| `(--[a-z-]+)` \| `([^`]+)` \| ([^|]*) \|")]
    private static partial Regex Row();

    [GeneratedRegex(@"\(default: (.*)\)$")]
    private static partial Regex Default();

    [GeneratedRegex(@"[A-Za-z0-9~/._]+(?::[A-Za-z0-9]+)*")]
    private static partial Regex Words();
}
