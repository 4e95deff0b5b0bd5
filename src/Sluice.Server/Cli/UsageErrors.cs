using System.CommandLine;

namespace Sluice.Server.Cli;

/// <summary>
/// Turns System.CommandLine's parse errors into the one line the CLI prints instead of a help dump: what was not
/// understood, and the closest command or switch of the command it was given to.
/// </summary>
internal static class UsageErrors
{
    public static string Describe(ParseResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var command = result.CommandResult.Command;
        var path = CommandPath(result);
        if (result.UnmatchedTokens.Count > 0)
        {
            var token = result.UnmatchedTokens[0];
            if (token.StartsWith('-'))
            {
                var options = command.Options.Where(static option => !option.Hidden).SelectMany(static option => option.Aliases.Prepend(option.Name));
                return WithSuggestion($"unknown switch '{token}'", Suggestions.Closest(token, options), path);
            }
            if (command.Subcommands.Count > 0 && result.CommandResult.Parent is null)
            {
                var commands = command.Subcommands.Where(static subcommand => !subcommand.Hidden).Select(static subcommand => subcommand.Name);
                return WithSuggestion($"unknown command '{token}'", Suggestions.Closest(token, commands), path);
            }
            return $"unexpected argument '{token}' (see '{path} --help')";
        }
        return $"{result.Errors[0].Message.TrimEnd('.')} (see '{path} --help')";
    }

    private static string WithSuggestion(string problem, string? suggestion, string path) =>
        suggestion is null ? $"{problem} (see '{path} --help')" : $"{problem}; did you mean '{suggestion}'? (see '{path} --help')";

    private static string CommandPath(ParseResult result)
    {
        var names = new List<string>();
        for (var symbol = result.CommandResult; symbol is not null; symbol = symbol.Parent as System.CommandLine.Parsing.CommandResult)
            names.Add(symbol.Parent is null ? "sluice" : symbol.Command.Name);
        names.Reverse();
        return string.Join(' ', names);
    }
}
