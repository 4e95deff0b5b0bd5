using Microsoft.Extensions.Options;
using Sluice.Server.Hosting;

namespace Sluice.Tests.Auth;

/// <summary>Start-up refuses bad authentication settings with messages that name the setting, before touching the database.</summary>
[Collection(StartUpConfigurationCollection.Name)]
public sealed class AuthConfigurationTests
{
    private static Task<string> StartUpFailureAsync(params string[] args)
    {
        var builder = SluiceServerBuilder.CreateBuilder(["--urls", "http://127.0.0.1:0", .. args]);
        var failure = Assert.Throws<OptionsValidationException>(() => SluiceServerBuilder.Build(builder));
        return Task.FromResult(failure.Message);
    }

    [Fact]
    public async Task Command_line_switches_set_the_auth_options()
    {
        Assert.Contains("JwtSecret is too short", await StartUpFailureAsync("--jwt-secret", "short"), StringComparison.Ordinal);
        Assert.Contains("no client could connect", await StartUpFailureAsync("--allow-anonymous", "false"), StringComparison.Ordinal);
        Assert.Contains("AnonymousRole", await StartUpFailureAsync("--anonymous-role", "bad role"), StringComparison.Ordinal);
        Assert.Contains("cannot read the JWKS file", await StartUpFailureAsync("--jwks", "/nonexistent/keys.json"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_secret_is_also_read_from_SLUICE_JWT_SECRET()
    {
        Environment.SetEnvironmentVariable("SLUICE_JWT_SECRET", "too-short");
        try
        {
            Assert.Contains("JwtSecret is too short", await StartUpFailureAsync(), StringComparison.Ordinal);
        }
        finally
        {
            Environment.SetEnvironmentVariable("SLUICE_JWT_SECRET", null);
        }
    }
}
