using Spectre.Console;

namespace Sluice.Server.Cli;

/// <summary>Where the CLI writes: Spectre consoles for rendering and the plain writers System.CommandLine uses for help and parse errors.</summary>
internal sealed class CliConsole(IAnsiConsole output, IAnsiConsole error, TextWriter outputWriter, TextWriter errorWriter)
{
    public IAnsiConsole Out { get; } = output;
    public IAnsiConsole Error { get; } = error;
    public TextWriter OutWriter { get; } = outputWriter;
    public TextWriter ErrorWriter { get; } = errorWriter;

    /// <summary>The process's terminal.</summary>
    public static CliConsole System()
    {
        var error = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
        if (Console.IsErrorRedirected)
            error.Profile.Width = 1000; // one error, one line, for logs and scripts
        return new(AnsiConsole.Console, error, Console.Out, Console.Error);
    }

    /// <summary>Plain text into the given writers (no colours, no animation): for tests and pipes.</summary>
    public static CliConsole Plain(TextWriter output, TextWriter error) => new(Create(output), Create(error), output, error);

    private static IAnsiConsole Create(TextWriter writer)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(writer),
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
        });
        console.Profile.Width = 200;
        return console;
    }
}
