using System.Text.RegularExpressions;
using Sluice.IntegrationTests.Embedded;
using Sluice.IntegrationTests.Infrastructure;
using Sluice.Server.Hosting;

namespace Sluice.IntegrationTests.Cli;

/// <summary>The executable's command line: typos fail at once with a suggestion instead of starting a server; the help describes every switch.</summary>
public sealed partial class CommandLineTests
{
    [Theory]
    [InlineData(new[] { "statuz" }, "'status'")]
    [InlineData(new[] { "--databse", "Host=localhost" }, "'--database'")]
    [InlineData(new[] { "serve", "--slott", "x" }, "'--slot'")]
    public async Task A_typo_fails_with_one_line_and_a_suggestion_instead_of_starting_the_server(string[] typo, string suggestion)
    {
        using var data = new TemporaryDirectory();
        await using var run = SluiceCommand.Start([.. typo, "--data-dir", data.Path, "--urls", $"http://127.0.0.1:{Sluice.Server.Embedded.LoopbackPort.FindFree()}"], null);

        var exitCode = await run.WaitForExitAsync();

        Assert.True(exitCode == 2, $"exit code {exitCode}\n{run}");
        var error = Assert.Single(run.ErrorLines, static line => line.Trim().Length > 0);
        Assert.Contains(typo[0] == "serve" ? typo[1] : typo[0], error, StringComparison.Ordinal);
        Assert.Contains("did you mean " + suggestion, error, StringComparison.Ordinal);
        Assert.Empty(run.OutputLines);
        Assert.False(Directory.Exists(data.Path), "the server started an embedded PostgreSQL");
    }

    [Fact]
    public async Task A_client_command_with_an_unknown_switch_fails_with_one_line_too()
    {
        var run = await CliRun.InvokeAsync("tail", "public.orders", "--snapshott");

        Assert.True(run.ExitCode == 2, run.ToString());
        var error = Assert.Single(run.Error.Split('\n'), static line => line.Trim().Length > 0);
        Assert.Contains("'--snapshot'", error, StringComparison.Ordinal);
        Assert.Equal("", run.Output);
    }

    [Theory]
    [InlineData("--help")]
    [InlineData("serve", "--help")]
    public async Task The_help_describes_every_switch_with_its_default_and_no_placeholders(params string[] args)
    {
        var run = await CliRun.InvokeAsync(args);

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.DoesNotContain("Sets Sluice:", run.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("Additional Arguments", run.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("README", run.Output, StringComparison.Ordinal);
        foreach (var option in SluiceServerBuilder.SwitchMappings.Keys.Append("--urls"))
        {
            var line = run.Output.Split('\n').FirstOrDefault(line => SwitchColumn().Match(line) is { Success: true } match && match.Groups[1].Value == option);
            Assert.True(line is not null, $"{option} is not in the help\n{run.Output}");
            var description = line[(line.IndexOf(option, StringComparison.Ordinal) + option.Length)..].Replace("<value>", "", StringComparison.Ordinal).Trim();
            Assert.True(description.Length >= 20, $"{option} has no real description: \"{description}\"");
        }
        // The rule for ASP.NET Core settings, and how to pick another port.
        Assert.Contains("--Section:Key", run.Output, StringComparison.Ordinal);
        Assert.Contains("--urls http://localhost:8090", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Client_command_help_has_no_stray_sections()
    {
        foreach (var command in new[] { "status", "tables", "enable", "disable", "tail", "bench" })
        {
            var run = await CliRun.InvokeAsync(command, "--help");
            Assert.True(run.ExitCode == 0, run.ToString());
            Assert.DoesNotContain("Additional Arguments", run.Output, StringComparison.Ordinal);
        }
    }

    [GeneratedRegex(@"^\s+(--[a-z][a-z-]*)")]
    private static partial Regex SwitchColumn();
}
