namespace Sluice.IntegrationTests.Infrastructure;

/// <summary>A test with its own database, slot, publication and running server.</summary>
[Collection(PostgresCollection.Name)]
public abstract class ServerTest(PostgresFixture postgres) : IAsyncLifetime
{
    private readonly List<IAsyncDisposable> _clients = [];

    protected TestDatabase Database { get; private set; } = null!;
    protected ServerHandle Server { get; set; } = null!;

    /// <summary>Extra server arguments, e.g. small queue limits.</summary>
    protected virtual string[] ServerArgs => [];

    public async Task InitializeAsync()
    {
        Database = await postgres.CreateDatabaseAsync();
        Server = await ServerHandle.StartAsync(Database, ServerArgs);
    }

    protected async Task<TestClient> ConnectAsync() => Track(await Server.ConnectAsync());

    /// <summary>A Supabase (Phoenix) protocol client, disposed with the test.</summary>
    protected async Task<Supabase.PhoenixTestClient> ConnectPhoenixAsync(string vsn, string apiKey = "anon-key", string path = "/realtime/v1/websocket") =>
        Track(await Supabase.PhoenixTestClient.ConnectAsync(Server, vsn, apiKey, path));

    /// <summary>Disposes the client when the test ends.</summary>
    protected T Track<T>(T client) where T : IAsyncDisposable
    {
        _clients.Add(client);
        return client;
    }

    /// <summary>Creates a realtime-enabled table with the given column list.</summary>
    protected async Task CreateTableAsync(string name, string columns = "id bigint PRIMARY KEY, name text, price numeric(10,2)")
    {
        await Database.ExecuteAsync($"CREATE TABLE public.{name} ({columns})");
        await Database.ExecuteAsync("SELECT enable_realtime('public', $1)", name);
    }

    public async Task DisposeAsync()
    {
        foreach (var client in _clients)
            await client.DisposeAsync();
        await Server.DisposeAsync();
        await Database.DisposeAsync();
    }
}
