namespace Sluice.Tests;

/// <summary>
/// Tests that build the server's configuration, some with environment variables such as <c>SLUICE_JWT_SECRET</c>:
/// environment variables are process-wide, so these run one at a time.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class StartUpConfigurationCollection
{
    public const string Name = "Start-up configuration";
}
