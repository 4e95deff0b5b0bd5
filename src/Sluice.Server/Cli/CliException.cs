namespace Sluice.Server.Cli;

/// <summary>A failure the CLI reports as one clear line and an exit code, without a stack trace.</summary>
internal sealed class CliException(string message, int exitCode = CliExitCodes.Failed) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}
