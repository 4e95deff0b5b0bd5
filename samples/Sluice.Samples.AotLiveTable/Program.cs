// Follows a table with a LiveTable from a native-AOT executable and prints every snapshot and transaction.
//   dotnet run --project src/Sluice.Server                                   (creates public.products)
//   dotnet publish samples/Sluice.Samples.AotLiveTable -c Release
//   samples/Sluice.Samples.AotLiveTable/bin/Release/net10.0/linux-x64/publish/Sluice.Samples.AotLiveTable \
//       [ws://localhost:8080/realtime] [--table public.products] [--transactions N]
// With --transactions N it exits (0) after N transactions, else at Ctrl+C.
using System.Globalization;
using Sluice.Client;
using Sluice.Protocol;
using Sluice.Samples.AotLiveTable;

var url = "ws://localhost:8080/realtime";
var schema = "public";
var table = "products";
int? transactions = null;
for (var i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--table" when i + 1 < args.Length && args[i + 1].Split('.') is [var s, var t]:
            (schema, table) = (s, t);
            i++;
            break;
        case "--transactions" when i + 1 < args.Length && int.TryParse(args[i + 1], CultureInfo.InvariantCulture, out var n) && n > 0:
            transactions = n;
            i++;
            break;
        case var arg when arg.StartsWith("ws", StringComparison.Ordinal) && Uri.TryCreate(arg, UriKind.Absolute, out _):
            url = arg;
            break;
        default:
            Console.Error.WriteLine($"unknown argument '{args[i]}'; usage: [ws://host:port/realtime] [--table schema.table] [--transactions N]");
            return 2;
    }
}

using var quit = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    quit.Cancel();
};

await using var client = new SluiceClientBuilder()
    .WithUrl(url)
    .WithJsonSerializerContext(AppJsonContext.Default)   // no reflection: the row type's metadata is generated at build time
    .Build();
var products = client.LiveTable<long, Product>(schema, table, product => product.Id);

var seen = 0;
products.Changed += (_, e) =>
{
    if (e.Reason != LiveTableChangeReason.Transaction)
    {
        Console.WriteLine($"{e.Reason.ToString().ToLowerInvariant()}: {e.Rows.Count} rows");
        return;
    }
    foreach (var change in e.Changes)
    {
        var row = change.Record ?? change.OldRecord;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{change.Kind.ToString().ToUpperInvariant()} {row?.Id} {row?.Name} {row?.Price} ({e.Rows.Count} rows)"));
    }
    if (++seen == transactions)
        quit.Cancel();
};
client.Error += (_, e) => Console.Error.WriteLine(e.Code == ErrorCodes.TableNotFound
    ? $"error {e.Code}: the server has no table {schema}.{table} (choose one with --table schema.table)"
    : $"error {e.Code}: {e.Message}");

Console.WriteLine($"following {schema}.{table} at {url}");
await client.StartAsync(quit.Token);
try
{
    await products.WaitUntilSyncedAsync(quit.Token);
    Console.WriteLine("synced");
    await Task.Delay(Timeout.Infinite, quit.Token);
}
catch (OperationCanceledException) when (quit.IsCancellationRequested)
{
}
Console.WriteLine(transactions is { } count && seen >= count ? $"done after {seen} transactions" : "stopped");
return 0;
