using System.CommandLine;
using Sluice.Server.Hosting;
using Spectre.Console;

namespace Sluice.Server.Cli;

/// <summary>
/// The <c>sluice</c> command line: <c>serve</c> (the default: any arguments that are not a subcommand start the server,
/// exactly as before), and the client commands <c>status</c>, <c>tables</c>, <c>enable</c>, <c>disable</c>, <c>tail</c>
/// and <c>bench</c>, which talk to a running server.
/// </summary>
public static class SluiceCli
{
    private static readonly Dictionary<string, string> ServeDescriptions = new(StringComparer.Ordinal)
    {
        ["--database"] = "Npgsql connection string; empty starts the embedded PostgreSQL [env: SLUICE_DATABASE]",
        ["--slot"] = "Persistent logical replication slot (default: sluice)",
        ["--publication"] = "Publication of realtime tables (default: sluice)",
        ["--admin-token"] = "Token the admin API, dashboard, stats and metrics require [env: SLUICE_ADMIN_TOKEN]",
        ["--jwt-secret"] = "HS256 secret for client tokens [env: SLUICE_JWT_SECRET]",
        ["--jwks"] = "JWKS file or https:// URL with RS256/ES256 keys",
        ["--data-dir"] = "Embedded PostgreSQL data folder",
        ["--retention-changes"] = "Most changes kept for resuming (default: 100000)",
        ["--retention-bytes"] = "Most bytes kept for resuming (default: 134217728)",
        ["--retention-age"] = "Changes older than this leave the window (default: 00:10:00)",
    };

    /// <summary>The process entry point.</summary>
    public static Task<int> RunAsync(string[] args) => InvokeAsync(args, CliConsole.System());

    public static async Task<int> InvokeAsync(string[] args, CliConsole console, CancellationToken cancellationToken = default)
    {
        var root = new RootCommand("Sluice: streams PostgreSQL row changes to WebSocket clients. Without a command, runs the server (see 'serve --help').")
        {
            TreatUnmatchedTokensAsErrors = false,
        };
        AddServeOptions(root);
        root.SetAction((_, _) => SluiceProgram.RunAsync(args));

        var serve = new Command("serve", "Run the server (the default). Also takes any ASP.NET Core setting, e.g. --urls http://0.0.0.0:8080") { TreatUnmatchedTokensAsErrors = false };
        AddServeOptions(serve);
        serve.SetAction((_, _) => SluiceProgram.RunAsync(WithoutFirst(args, "serve")));
        root.Add(serve);

        root.Add(StatusCommand.Create(console));
        root.Add(TablesCommands.List(console));
        root.Add(TablesCommands.Toggle(console, enable: true));
        root.Add(TablesCommands.Toggle(console, enable: false));
        root.Add(TailCommand.Create(console));
        root.Add(BenchCommand.Create(console));

        // Connection strings and secrets are never response files.
        var parsed = root.Parse(args, new ParserConfiguration { ResponseFileTokenReplacer = null });
        return await parsed.InvokeAsync(new InvocationConfiguration { Output = console.OutWriter, Error = console.ErrorWriter }, cancellationToken);
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

    private static void AddServeOptions(Command command)
    {
        foreach (var (name, key) in SluiceServerBuilder.SwitchMappings)
        {
            command.Add(new Option<string>(name)
            {
                Description = ServeDescriptions.TryGetValue(name, out var description) ? description : $"Sets {key} (see the README's configuration table)",
                HelpName = "value",
            });
        }
    }

    private static string[] WithoutFirst(string[] args, string command)
    {
        var index = Array.IndexOf(args, command);
        return index < 0 ? args : [.. args[..index], .. args[(index + 1)..]];
    }
}
