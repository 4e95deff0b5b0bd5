using System.Text;

namespace Sluice.Server.Cli;

/// <summary>
/// Tidies System.CommandLine's help text (its layout cannot be customised): no "Additional Arguments" section (only
/// <c>bench</c> passes unknown switches on, and its description says so), and for the server's commands a closing
/// paragraph on settings and ports.
/// </summary>
internal static class CliHelp
{
    private const string AdditionalArgumentsHeader = "Additional Arguments:";

    public static string Tidy(string help, bool isServerCommand)
    {
        var text = new StringBuilder();
        var skipping = false;
        foreach (var line in help.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n'))
        {
            if (line.StartsWith(AdditionalArgumentsHeader, StringComparison.Ordinal))
            {
                skipping = true;
                continue;
            }
            if (skipping)
            {
                if (line.StartsWith(' ') || line.Length == 0)
                    continue;
                skipping = false;
            }
            text.Append(line.Replace(" [[--] <additional arguments>...]]", "", StringComparison.Ordinal)).Append('\n');
        }
        var tidy = text.ToString().TrimEnd('\n') + "\n";
        return isServerCommand ? tidy + "\n" + ServeSwitches.Epilog.TrimEnd() + "\n" : tidy;
    }
}
