using System.CommandLine;
using Sluice.Server.Hosting;
using Spectre.Console;

namespace Sluice.Server.Cli;

/// <summary>
/// The <c>sluice</c> command line: <c>serve</c> (the default: without a command the server runs), and the client commands
/// <c>status</c>, <c>tables</c>, <c>enable</c>, <c>disable</c>, <c>tail</c> and <c>bench</c>, which talk to a running server.
/// Unknown commands and switches fail with one line and a suggestion (exit code 2) instead of starting anything;
/// ASP.NET Core settings pass as <c>--Section:Key value</c> (see <see cref="ServeSwitches"/>).
/// </summary>
internal static class SluiceCli
{
    /// <summary>The process entry point.</summary>
    public static Task<int> RunAsync(string[] args) => InvokeAsync(args, CliConsole.System());

    public static async Task<int> InvokeAsync(string[] args, CliConsole console, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(console);
        var root = new RootCommand("Sluice: streams PostgreSQL row changes to WebSocket clients. Without a command, runs the server.");
        ServeSwitches.AddTo(root);
        root.SetAction((_, _) => SluiceProgram.RunAsync(args));

        var serve = new Command("serve", "Run the server (the default when no command is given)");
        ServeSwitches.AddTo(serve);
        serve.SetAction((_, _) => SluiceProgram.RunAsync(WithoutFirst(args, "serve")));
        root.Add(serve);

        root.Add(StatusCommand.Create(console));
        root.Add(TablesCommands.List(console));
        root.Add(TablesCommands.Toggle(console, enable: true));
        root.Add(TablesCommands.Toggle(console, enable: false));
        root.Add(TailCommand.Create(console));
        root.Add(BenchCommand.Create(console));

        // Connection strings and secrets are never response files. The host reads configuration paths from the full arguments.
        var parsed = root.Parse(ServeSwitches.WithoutConfigurationPaths(args), new ParserConfiguration { ResponseFileTokenReplacer = null });
        if (parsed.Errors.Count > 0 && parsed.Action is System.CommandLine.Invocation.ParseErrorAction)
        {
            console.Error.MarkupLine($"[red]error:[/] {Markup.Escape(UsageErrors.Describe(parsed))}");
            return CliExitCodes.Usage;
        }
        if (parsed.Action is System.CommandLine.Help.HelpAction)
        {
            using var help = new StringWriter();
            var exitCode = await parsed.InvokeAsync(new InvocationConfiguration { Output = help, Error = console.ErrorWriter }, cancellationToken);
            var command = parsed.CommandResult.Command;
            await console.OutWriter.WriteAsync(CliHelp.Tidy(help.ToString(), command == root || command == serve));
            return exitCode;
        }
        var invocation = new InvocationConfiguration { Output = console.OutWriter, Error = console.ErrorWriter };
        var chosen = parsed.CommandResult.Command;
        if (chosen == root || chosen == serve)
        {
            // The server's host handles SIGTERM and Ctrl+C itself and shuts down in order (connections, capture, then the
            // embedded PostgreSQL). System.CommandLine would otherwise end the process 2 s after the signal, exit code 143.
            invocation.ProcessTerminationTimeout = null;
        }
        return await parsed.InvokeAsync(invocation, cancellationToken);
    }

    /// <summary>Runs a client command, turning the expected failures into one clear line on stderr and an exit code.</summary>
    internal static async Task<int> RunClientAsync(CliConsole console, Func<Task<int>> command)
    {
        try
        {
            return await command();
        }
        catch (CliException ex)
        {
            console.Error.MarkupLine($"[red]error:[/] {Markup.Escape(ex.Message)}");
            return ex.ExitCode;
        }
    }

    private static string[] WithoutFirst(string[] args, string command)
    {
        var index = Array.IndexOf(args, command);
        return index < 0 ? args : [.. args[..index], .. args[(index + 1)..]];
    }
}
