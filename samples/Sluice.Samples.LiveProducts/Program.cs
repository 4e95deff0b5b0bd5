// Keeps a live replica of public.products on screen. Start the server first:
//   dotnet run --project src/Sluice.Server
//   dotnet run --project samples/Sluice.Samples.LiveProducts [ws://localhost:8080/realtime]
// then change rows with psql and watch them move. Ctrl+C quits.
using Sluice.Client;
using Sluice.Samples.LiveProducts;
using Spectre.Console;

var url = args.Length > 0 ? args[0] : "ws://localhost:8080/realtime";
using var quit = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    quit.Cancel();
};

await using var client = new SluiceClientBuilder()
    .WithUrl(url)
    .WithJsonSerializerContext(SampleJsonContext.Default)
    .Build();
var products = client.LiveTable<long, Product>("public", "products", product => product.Id);

var redraw = new SemaphoreSlim(0);
var lastEvent = "waiting for the snapshot";
products.Changed += (_, e) =>
{
    lastEvent = e.Reason == LiveTableChangeReason.Transaction
        ? $"{DateTime.Now:HH:mm:ss} transaction: " + string.Join(", ", e.Changes.Select(c => $"{c.Kind} {c.Record?.Id ?? c.OldRecord?.Id}"))
        : $"{DateTime.Now:HH:mm:ss} {e.Reason}: {e.Rows.Count} rows";
    redraw.Release();
};
client.StateChanged += (_, _) => redraw.Release();
client.Error += (_, e) =>
{
    lastEvent = $"error {e.Code}: {e.Message}";
    redraw.Release();
};

await client.StartAsync();
await AnsiConsole.Live(ProductsView.Render(products, client.State, lastEvent))
    .StartAsync(async context =>
    {
        while (!quit.IsCancellationRequested)
        {
            try
            {
                await redraw.WaitAsync(quit.Token);
            }
            catch (OperationCanceledException)
            {
                break;
            }
            context.UpdateTarget(ProductsView.Render(products, client.State, lastEvent));
        }
    });
