using Sluice.Server.Cluster;
using Sluice.Server.Database;
using Sluice.Server.Log;

namespace Sluice.Server.Hosting;

/// <summary>
/// What <see cref="SluiceStartup"/> prepared when the host started: the database connection, the change log (its epoch and
/// start position come from the slot) and, on a cluster node, the Redis connection and where the change stream starts.
/// Written once by the start-up service before any of Sluice's own services is created; the service container hands
/// these out from here, and asking before start-up finished is an error, never a half-prepared object.
/// </summary>
internal sealed class SluiceStartupState
{
    private DatabaseConnection? _database;
    private ChangeLog? _log;
    private ClusterRedis? _redis;
    private ChangeStreamStart? _streamStart;

    public DatabaseConnection Database => Ready(_database);

    public ChangeLog Log => Ready(_log);

    public ClusterRedis Redis => Ready(_redis);

    public ChangeStreamStart StreamStart => Ready(_streamStart);

    public void Publish(DatabaseConnection database, ChangeLog log, ClusterRedis? redis, ChangeStreamStart? streamStart)
    {
        _database = database;
        _log = log;
        _redis = redis;
        _streamStart = streamStart;
    }

    private static T Ready<T>(T? value) where T : class =>
        value ?? throw new InvalidOperationException(
            "Sluice's services exist once the host has started: AddSluice prepares the database when the app starts (app.Run or app.StartAsync).");
}
