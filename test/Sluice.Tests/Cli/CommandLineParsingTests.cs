using Sluice.Server.Cli;
using Sluice.Server.Hosting;

namespace Sluice.Tests.Cli;

/// <summary>The pure parts of the command line: suggestions for typos, and which tokens are ASP.NET Core configuration paths.</summary>
public sealed class CommandLineParsingTests
{
    [Theory]
    [InlineData("statuz", "status")]
    [InlineData("tabels", "tables")]
    [InlineData("stat", "status")]
    [InlineData("--databse", "--database")]
    [InlineData("--slott", "--slot")]
    [InlineData("--data-directory", "--data-dir")]
    [InlineData("--URLS", "--urls")]
    public void A_typo_gets_the_closest_name(string typed, string expected)
    {
        var names = SluiceServerBuilder.SwitchMappings.Keys.Concat(ServeSwitches.HostSettings.Keys)
            .Concat(["serve", "status", "tables", "enable", "disable", "tail", "bench"]);

        Assert.Equal(expected, Suggestions.Closest(typed, names));
    }

    [Theory]
    [InlineData("frobnicate")]
    [InlineData("--zzz")]
    public void Nothing_close_gets_no_suggestion(string typed)
    {
        Assert.Null(Suggestions.Closest(typed, ["status", "tables", "--database", "--slot"]));
    }

    [Fact]
    public void Configuration_paths_and_their_values_are_left_to_the_host()
    {
        string[] args =
        [
            "--slot", "s", "--Logging:LogLevel:Default", "Warning", "--Sluice:KeepAliveInterval=00:00:05",
            "--database", "postgresql://u:p@h:5432/d", "--urls", "http://localhost:1", "--Kestrel:Limits:MaxConcurrentConnections", "10",
        ];

        Assert.Equal(["--slot", "s", "--database", "postgresql://u:p@h:5432/d", "--urls", "http://localhost:1"], ServeSwitches.WithoutConfigurationPaths(args));
    }

    [Fact]
    public void Every_server_switch_has_a_description_with_its_default()
    {
        foreach (var name in SluiceServerBuilder.SwitchMappings.Keys)
        {
            Assert.True(ServeSwitches.Descriptions.TryGetValue(name, out var description), name);
            Assert.Contains("(default: ", description, StringComparison.Ordinal);
        }
        Assert.Equal(SluiceServerBuilder.SwitchMappings.Count, ServeSwitches.Descriptions.Count);
    }
}
