using System.Buffers;
using System.CommandLine;
using System.Net.WebSockets;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Spectre.Console;

namespace Sluice.Server.Cli;

/// <summary>
/// <c>sluice tail &lt;channel&gt;</c>: subscribes over <c>/realtime</c> with the native protocol and prints each change as it
/// arrives, like <c>tail -f</c> for the database. <c>--snapshot</c> first reads the current rows (with a progress line on a
/// terminal), <c>--since</c> resumes after an offset, <c>--count</c> stops after that many changes, <c>--json</c> prints raw frames.
/// </summary>
internal static class TailCommand
{
    // Plain text for a terminal: '+' in a timestamp stays '+', not \u002B (the default encoder escapes for HTML).
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static Command Create(CliConsole console)
    {
        var options = new ClientOptions();
        var channel = new Argument<string>("channel") { Description = "table:schema.table (or just schema.table, or table for the public schema), or room:name" };
        var filter = new Option<string?>("--filter", "-f") { Description = "Row filter, e.g. price=gt.100 or status=in.(open,paid)" };
        var since = new Option<string?>("--since") { Description = "Resume after this offset (from a previous change frame)" };
        var events = new Option<string[]>("--events", "-e") { Description = "Only these change types: INSERT, UPDATE, DELETE, TRUNCATE", AllowMultipleArgumentsPerToken = true };
        var snapshot = new Option<bool>("--snapshot") { Description = "First read the current rows, then follow changes" };
        var count = new Option<int?>("--count", "-n") { Description = "Exit after this many changes" };
        var json = new Option<bool>("--json") { Description = "Print every frame as one line of raw JSON" };
        var token = new Option<string?>("--token") { Description = "JWT for /realtime when anonymous access is off [env: SLUICE_TOKEN]", DefaultValueFactory = static _ => Environment.GetEnvironmentVariable("SLUICE_TOKEN") };
        var command = new Command("tail", "Follow a channel's changes live (Ctrl+C to stop)");
        options.AddTo(command);
        command.Add(channel);
        command.Add(filter);
        command.Add(since);
        command.Add(events);
        command.Add(snapshot);
        command.Add(count);
        command.Add(json);
        command.Add(token);
        command.SetAction((result, cancellationToken) => SluiceCli.RunClientAsync(console, () =>
        {
            var name = result.GetValue(channel)!;
            if (!name.Contains(':', StringComparison.Ordinal) || Sluice.Protocol.TableChannel.HasPrefix(name))
                name = Sluice.Protocol.TableChannel.Prefix + TableName.Qualify(name);
            var subscribe = new JsonObject { ["type"] = "subscribe", ["channel"] = name };
            if (result.GetValue(filter) is { Length: > 0 } f)
                subscribe["filter"] = f;
            if (result.GetValue(since) is { Length: > 0 } s)
                subscribe["since"] = s;
            if (result.GetValue(events) is { Length: > 0 } e)
                subscribe["events"] = new JsonArray(e.Select(static x => (JsonNode)x.ToUpperInvariant()).ToArray());
            if (result.GetValue(snapshot))
                subscribe["snapshot"] = true;
            return RunAsync(console, result.GetValue(options.Server)!, result.GetValue(token), subscribe, result.GetValue(count), result.GetValue(json), cancellationToken);
        }));
        return command;
    }

    private static async Task<int> RunAsync(CliConsole console, Uri server, string? token, JsonObject subscribe, int? count, bool raw, CancellationToken cancellationToken)
    {
        var url = new UriBuilder(server) { Scheme = server.Scheme == "https" ? "wss" : "ws", Path = server.AbsolutePath.TrimEnd('/') + "/realtime" };
        if (!string.IsNullOrEmpty(token))
            url.Query = "token=" + Uri.EscapeDataString(token);
        using var socket = new ClientWebSocket();
        try
        {
            await socket.ConnectAsync(url.Uri, cancellationToken);
        }
        catch (Exception ex) when (ex is WebSocketException or HttpRequestException)
        {
            throw ServerApi.Unreachable(server, ex.InnerException is HttpRequestException inner ? inner : ex);
        }
        await socket.SendAsync(Encoding.UTF8.GetBytes(subscribe.ToJsonString()), WebSocketMessageType.Text, true, cancellationToken);

        var channel = subscribe["channel"]!.GetValue<string>();
        var changes = 0;
        long snapshotRows = 0;
        var snapshotting = subscribe.ContainsKey("snapshot");
        var buffer = new ArrayBufferWriter<byte>(16 * 1024);
        try
        {
            if (snapshotting && !raw && console.Out.Profile.Capabilities.Interactive)
            {
                // A progress line while a long snapshot streams in.
                await console.Out.Status().StartAsync("Reading snapshot…", async context =>
                {
                    while (snapshotting)
                    {
                        var frame = await ReceiveAsync(socket, buffer, cancellationToken);
                        if (frame is null)
                            return;
                        Handle(frame.Value);
                        context.Status($"Reading snapshot: {snapshotRows:N0} rows");
                    }
                });
            }
            while (count is null || changes < count)
            {
                var frame = await ReceiveAsync(socket, buffer, cancellationToken);
                if (frame is null)
                {
                    console.Error.MarkupLine($"[red]The server closed the connection[/] ({socket.CloseStatus} {Markup.Escape(socket.CloseStatusDescription ?? "")}).");
                    return CliExitCodes.Failed;
                }
                Handle(frame.Value);
            }
            await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "done", CancellationToken.None);
            return CliExitCodes.Ok;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return CliExitCodes.Ok;
        }
        catch (WebSocketException ex)
        {
            throw new CliException($"The connection to {server} broke: {ex.Message}", CliExitCodes.Unreachable);
        }

        void Handle(JsonElement frame)
        {
            var type = frame.TryGetProperty("type", out var t) ? t.GetString() : null;
            if (raw && type != "heartbeat")
                console.OutWriter.WriteLine(frame.GetRawText());
            switch (type)
            {
                case "ack":
                    if (!raw)
                        console.Error.MarkupLine($"[grey]Following {Markup.Escape(channel)}{(frame.TryGetProperty("offset", out var o) ? " after offset " + Markup.Escape(o.GetString() ?? "") : "")}; Ctrl+C to stop[/]");
                    break;
                case "snapshot":
                    snapshotRows += frame.TryGetProperty("rows", out var rows) ? rows.GetArrayLength() : 0;
                    if (frame.TryGetProperty("last", out var last) && last.GetBoolean())
                    {
                        snapshotting = false;
                        if (!raw)
                            console.Error.MarkupLine($"[grey]Snapshot: {snapshotRows:N0} rows, consistent with offset {Markup.Escape(frame.TryGetProperty("offset", out var so) ? so.GetString() ?? "" : "")}[/]");
                    }
                    break;
                case "broadcast":
                    changes++;
                    if (!raw)
                        PrintChange(console, frame);
                    break;
                case "error":
                    throw new CliException($"{(frame.TryGetProperty("code", out var code) ? code.GetString() + ": " : "")}{(frame.TryGetProperty("error", out var error) ? error.GetString() : frame.GetRawText())}");
                case "resync_required":
                    throw new CliException($"resync_required: {(frame.TryGetProperty("error", out var why) ? why.GetString() : "")} — tail again with --snapshot instead of --since");
                default:
                    break;
            }
        }
    }

    private static void PrintChange(CliConsole console, JsonElement frame)
    {
        var offset = frame.TryGetProperty("offset", out var o) ? o.GetString() : null;
        if (frame.TryGetProperty("event", out var roomEvent) || !frame.TryGetProperty("payload", out var payload)
            || payload.ValueKind != JsonValueKind.Object || !payload.TryGetProperty("schema", out _))
        {
            // A room message: its event and payload as sent.
            var name = frame.TryGetProperty("channel", out var c) ? c.GetString() : "";
            console.Out.MarkupLine($"[bold blue]{Markup.Escape(roomEvent.ValueKind == JsonValueKind.String ? roomEvent.GetString() ?? "" : "message")}[/] {Markup.Escape(name ?? "")} [grey]{Markup.Escape(offset ?? "")}[/]");
            if (frame.TryGetProperty("payload", out var body))
                console.Out.WriteLine(JsonNode.Parse(body.GetRawText())?.ToJsonString(Indented) ?? "null");
            return;
        }
        var type = payload.TryGetProperty("type", out var t) ? t.GetString() ?? "" : "";
        var colour = type switch { "INSERT" => "green", "UPDATE" => "yellow", _ => "red" };
        var timestamp = frame.TryGetProperty("commit_timestamp", out var ts) ? ts.GetString() : null;
        console.Out.MarkupLine($"[bold {colour}]{Markup.Escape(type)}[/] {Markup.Escape(payload.GetProperty("schema").GetString() + "." + payload.GetProperty("table").GetString())} [grey]{Markup.Escape(timestamp ?? "")} {Markup.Escape(offset ?? "")}[/]");
        var shown = new JsonObject();
        if (payload.TryGetProperty("record", out var record))
            shown["record"] = JsonNode.Parse(record.GetRawText());
        if (payload.TryGetProperty("old_record", out var old))
            shown["old_record"] = JsonNode.Parse(old.GetRawText());
        if (shown.Count > 0)
            console.Out.WriteLine(shown.ToJsonString(Indented));
    }

    private static async Task<JsonElement?> ReceiveAsync(ClientWebSocket socket, ArrayBufferWriter<byte> buffer, CancellationToken cancellationToken)
    {
        buffer.ResetWrittenCount();
        while (true)
        {
            var result = await socket.ReceiveAsync(buffer.GetMemory(16 * 1024), cancellationToken);
            if (result.MessageType == WebSocketMessageType.Close)
                return null;
            buffer.Advance(result.Count);
            if (result.EndOfMessage)
            {
                using var document = JsonDocument.Parse(buffer.WrittenMemory);
                return document.RootElement.Clone();
            }
        }
    }
}
