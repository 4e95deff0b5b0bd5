using Microsoft.Extensions.Options;
using Sluice.Server.Hosting;
using Sluice.Server.Limits;

namespace Sluice.Tests.Limits;

/// <summary>Start-up refuses bad limits with messages that name the setting, before touching the database.</summary>
[Collection(StartUpConfigurationCollection.Name)]
public sealed class LimitsConfigurationTests
{
    private static Task<string> StartUpFailureAsync(params string[] args)
    {
        var builder = SluiceServerBuilder.CreateBuilder(["--urls", "http://127.0.0.1:0", .. args]);
        var failure = Assert.Throws<OptionsValidationException>(() => SluiceServerBuilder.Build(builder));
        return Task.FromResult(failure.Message);
    }

    [Theory]
    [InlineData("--max-channels", nameof(LimitsOptions.MaxChannelsPerConnection))]
    [InlineData("--messages-per-second", nameof(LimitsOptions.MessagesPerSecond))]
    [InlineData("--message-burst", nameof(LimitsOptions.MessageBurst))]
    [InlineData("--refused-messages-before-close", nameof(LimitsOptions.RefusedMessagesBeforeClose))]
    [InlineData("--max-connections-per-ip", nameof(LimitsOptions.MaxConnectionsPerAddress))]
    public async Task Each_switch_sets_its_limit_and_zero_is_refused(string option, string setting)
    {
        Assert.Contains(setting, await StartUpFailureAsync(option, "0"), StringComparison.Ordinal);
    }

    [Fact]
    public void The_defaults_are_safe_and_valid()
    {
        var defaults = new LimitsOptions();
        Assert.Equal(100, defaults.MaxChannelsPerConnection);
        Assert.Equal(100, defaults.MessagesPerSecond);
        Assert.Equal(200, defaults.MessageBurst);
        Assert.Equal(200, defaults.RefusedMessagesBeforeClose);
        Assert.Equal(1000, defaults.MaxConnectionsPerAddress);
        Assert.False(new DataAnnotationValidateOptions<LimitsOptions>(null).Validate(null, defaults).Failed);
    }
}
