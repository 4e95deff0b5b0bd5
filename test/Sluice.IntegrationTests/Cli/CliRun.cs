using Sluice.Server.Cli;

namespace Sluice.IntegrationTests.Cli;

/// <summary>One in-process run of the <c>sluice</c> command line with captured output.</summary>
public sealed record CliRun(int ExitCode, string Output, string Error)
{
    public static async Task<CliRun> InvokeAsync(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var exitCode = await SluiceCli.InvokeAsync(args, CliConsole.Plain(output, error), timeout.Token);
        return new CliRun(exitCode, output.ToString(), error.ToString());
    }

    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Output}\n--- stderr\n{Error}";
}
