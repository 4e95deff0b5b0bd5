// An ASP.NET Core app that relays product changes to its own users (Server-Sent Events).
//   dotnet run --project src/Sluice.Server
//   dotnet run --project samples/Sluice.Samples.WebRelay --urls http://localhost:5080
// then open http://localhost:5080 and change rows of public.products with psql.
using Sluice.Client;
using Sluice.Samples.WebRelay;

var builder = WebApplication.CreateBuilder(args);
builder.Services.AddSluiceClient(sluice => sluice
        .WithUrl("ws://localhost:8080/realtime")
        // The "Sluice" section (appsettings.json, --Sluice:Url, Sluice__Url) overrides the defaults above.
        .WithConfiguration(builder.Configuration.GetSection("Sluice"))
        .WithFallback(after: TimeSpan.FromSeconds(10))
        // The app serves its pages (and the live table polls over HTTP) while Sluice is unreachable.
        .WithBackgroundStart())
    .WithHostedStart();
builder.Services.AddSingleton<ProductFeed>();

var app = builder.Build();
// The feed's live table exists from the start, so no change is missed before the first request.
app.Services.GetRequiredService<ProductFeed>();

app.MapGet("/api/products", (ProductFeed feed) => feed.Products.Values.OrderBy(product => product.Id));
app.MapGet("/api/status", (ProductFeed feed) => new { state = feed.State.ToString() });
app.MapGet("/api/changes", (ProductFeed feed, CancellationToken cancellationToken) =>
    TypedResults.ServerSentEvents(feed.ListenAsync(cancellationToken), eventType: "change"));
app.MapGet("/", () => Results.Content("""
    <!doctype html>
    <title>Products, live</title>
    <h1>Products, live</h1>
    <ul id="changes"></ul>
    <script>
      const changes = document.getElementById('changes');
      new EventSource('/api/changes').addEventListener('change', event => {
        const change = JSON.parse(event.data);
        const item = document.createElement('li');
        item.textContent = `${change.kind} #${change.id} ${change.name ?? ''} ${change.price ?? ''}`;
        changes.prepend(item);
      });
    </script>
    """, "text/html"));

app.Run();
