using System.CommandLine;
using Spectre.Console;

namespace Sluice.Server.Cli;

/// <summary><c>sluice tables</c>, <c>sluice enable schema.table</c>, <c>sluice disable schema.table</c>, through the server's admin API.</summary>
internal static class TablesCommands
{
    public static Command List(CliConsole console)
    {
        var options = new ClientOptions();
        var json = new Option<bool>("--json") { Description = "Print the raw JSON" };
        var enabledOnly = new Option<bool>("--enabled") { Description = "Only realtime-enabled tables" };
        var command = new Command("tables", "List the database's tables and whether realtime is enabled on them");
        options.AddTo(command);
        command.Add(json);
        command.Add(enabledOnly);
        command.SetAction((result, cancellationToken) => SluiceCli.RunClientAsync(console, async () =>
        {
            using var api = options.Api(result);
            var body = await api.GetAsync("/api/admin/tables", cancellationToken);
            if (result.GetValue(json))
            {
                console.OutWriter.WriteLine(body.GetRawText());
                return CliExitCodes.Ok;
            }
            var table = new Table().Border(TableBorder.Rounded).AddColumn("table").AddColumn("realtime").AddColumn("replica identity");
            foreach (var row in body.GetProperty("tables").EnumerateArray())
            {
                var enabled = row.GetProperty("enabled").GetBoolean();
                if (result.GetValue(enabledOnly) && !enabled)
                    continue;
                table.AddRow(
                    Markup.Escape(row.GetProperty("schema").GetString() + "." + row.GetProperty("table").GetString()),
                    enabled ? "[green]enabled[/]" : "off",
                    Markup.Escape(row.GetProperty("replica_identity").GetString() ?? ""));
            }
            console.Out.Write(table);
            return CliExitCodes.Ok;
        }));
        return command;
    }

    public static Command Toggle(CliConsole console, bool enable)
    {
        var options = new ClientOptions();
        var name = new Argument<string>("table") { Description = "The table, as schema.table or just table for the public schema (quote names with dots: \"my.schema\".orders)" };
        var command = new Command(enable ? "enable" : "disable",
            enable ? "Enable realtime on a table (enable_realtime: adds it to the publication, REPLICA IDENTITY FULL)" : "Disable realtime on a table (disable_realtime)");
        options.AddTo(command);
        command.Add(name);
        command.SetAction((result, cancellationToken) => SluiceCli.RunClientAsync(console, async () =>
        {
            var table = TableName.Qualify(result.GetValue(name)!);
            using var api = options.Api(result);
            await api.PostAsync($"/api/admin/tables/{Uri.EscapeDataString(table)}/{(enable ? "enable" : "disable")}", cancellationToken);
            console.Out.MarkupLine(enable ? $"Realtime [green]enabled[/] on {Markup.Escape(table)}" : $"Realtime disabled on {Markup.Escape(table)}");
            return CliExitCodes.Ok;
        }));
        return command;
    }
}
