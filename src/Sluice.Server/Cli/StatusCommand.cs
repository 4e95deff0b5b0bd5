using System.CommandLine;
using System.Net;
using System.Text.Json;
using Spectre.Console;

namespace Sluice.Server.Cli;

/// <summary><c>sluice status</c>: the server's stats, capture state, slot lag and WAL retained. Exit 1 when capture is not streaming.</summary>
internal static class StatusCommand
{
    public static Command Create(CliConsole console)
    {
        var options = new ClientOptions();
        var json = new Option<bool>("--json") { Description = "Print the raw stats JSON" };
        var command = new Command("status", "Show a running server's stats: connections, channels, changes, slot lag, WAL retained");
        options.AddTo(command);
        command.Add(json);
        command.SetAction((result, cancellationToken) => SluiceCli.RunClientAsync(console, async () =>
        {
            using var api = options.Api(result);
            var stats = await api.GetAsync("/api/realtime/stats", cancellationToken);
            var ready = await api.StatusOfAsync("/health/ready", cancellationToken);
            var capture = Text(stats, "capture");
            if (result.GetValue(json))
            {
                console.OutWriter.WriteLine(stats.GetRawText());
                return capture == "streaming" ? CliExitCodes.Ok : CliExitCodes.Failed;
            }

            var table = new Table().Border(TableBorder.Rounded).AddColumn("").AddColumn(new TableColumn("").RightAligned()).HideHeaders();
            table.Title = new TableTitle($"Sluice at {api.Server}");
            table.AddRow("capture", capture == "streaming" ? $"[green]{capture}[/]" : $"[red]{Markup.Escape(capture)}[/]");
            table.AddRow("ready", ready == HttpStatusCode.OK ? "[green]yes[/]" : "[red]no[/]");
            table.AddRow("connections", Number(stats, "connections"));
            table.AddRow("channels", Number(stats, "channels"));
            table.AddRow("changes dispatched", Number(stats, "changes_dispatched"));
            table.AddRow("deliveries", Number(stats, "deliveries"));
            table.AddRow("slow consumers closed", Number(stats, "slow_consumer_disconnects"));
            table.AddRow("fell behind (caught up from the log)", Number(stats, "fell_behind"));
            table.AddRow("acknowledged LSN", Markup.Escape(Text(stats, "acknowledged_lsn")));
            table.AddRow("slot lag", Bytes(stats, "slot_lag_bytes"));
            table.AddRow("WAL retained", Bytes(stats, "retained_wal_bytes"));
            if (stats.TryGetProperty("capture_lag_seconds", out var lag) && lag.ValueKind == JsonValueKind.Number)
                table.AddRow("capture lag", $"{lag.GetDouble() * 1000:0} ms");
            if (stats.TryGetProperty("retention", out var retention))
            {
                table.AddRow("retention (changes)", $"{Number(retention, "changes")} / {Number(retention, "max_changes")}");
                table.AddRow("retention (bytes)", $"{Bytes(retention, "bytes")} / {Bytes(retention, "max_bytes")}");
                table.AddRow("oldest offset", Markup.Escape(Text(retention, "oldest_offset")));
            }
            console.Out.Write(table);
            return capture == "streaming" ? CliExitCodes.Ok : CliExitCodes.Failed;
        }));
        return command;
    }

    private static string Text(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString()! : "–";

    private static string Number(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number ? value.GetInt64().ToString("N0", System.Globalization.CultureInfo.InvariantCulture) : "–";

    internal static string Bytes(JsonElement element, string name)
    {
        if (!element.TryGetProperty(name, out var value) || value.ValueKind != JsonValueKind.Number)
            return "–";
        double bytes = value.GetInt64();
        string[] units = ["B", "kB", "MB", "GB", "TB"];
        var unit = 0;
        while (bytes >= 1024 && unit < units.Length - 1)
        {
            bytes /= 1024;
            unit++;
        }
        return unit == 0 ? $"{bytes:0} B" : string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{bytes:0.0} {units[unit]}");
    }
}
