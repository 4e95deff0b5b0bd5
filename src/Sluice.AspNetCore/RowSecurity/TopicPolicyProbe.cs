using System.Collections.Concurrent;
using Npgsql;
using Sluice.Server.Auth;
using Sluice.Server.Database;

namespace Sluice.Server.RowSecurity;

/// <summary>
/// Asks the row-level security policies on <c>realtime.messages</c> what a connection may do on a private topic, the way
/// Supabase's Realtime Authorization asks them, so the policies an app wrote for Supabase decide the same on Sluice. Each
/// check runs in one transaction that is always rolled back (nothing is committed, so nothing reaches the WAL), as the
/// connection's role with its claims (<see cref="SubscriberAccess.AssumeAsync"/>), with <c>realtime.topic()</c> returning
/// the topic and <c>request.headers</c> holding the request's headers:
/// <list type="bullet">
/// <item>read: Sluice's own user inserts one probe row per extension; as the role, the rows its SELECT policies let it see
/// are read back;</item>
/// <item>write: as the role, a row of the extension is inserted; its INSERT policies (<c>WITH CHECK</c>) and privileges
/// admit it or refuse it (42501).</item>
/// </list>
/// Fails closed: anything but a clear answer — a policy that raises, a role that does not exist or cannot be assumed, no
/// partition for today, a timeout, an unreachable database — is a <see cref="TopicProbeException"/>, which callers refuse.
/// Identical checks in flight (same claim set, topic, headers and question) share one transaction, so a crowd joining one
/// topic with the same token costs one round trip; answers are not cached beyond that (callers keep theirs per join, as
/// Supabase does, and ask again when the token changes).
/// </summary>
internal sealed class TopicPolicyProbe(NpgsqlDataSource dataSource)
{
    /// <summary>How long one check may take before it is cancelled (<see cref="TopicProbeFailure.QueryCanceled"/>).</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);

    /// <summary>The probe rows' time: UTC, as the daily partitions of realtime.messages are cut (Supabase writes UTC too).</summary>
    private const string UtcNow = "(pg_catalog.now() AT TIME ZONE 'UTC')";

    private readonly ConcurrentDictionary<ProbeKey, Task<TopicReadAccess>> _reads = new();
    private readonly ConcurrentDictionary<ProbeKey, Task<bool>> _writes = new();

    /// <summary>One question: <paramref name="Question"/> is the read's presence flag or the write's extension.</summary>
    private readonly record struct ProbeKey(string ClaimSet, string Topic, string Headers, int Question);

    /// <summary>
    /// What <paramref name="identity"/> may read on <paramref name="topic"/>: broadcasts always, presence when
    /// <paramref name="presence"/> (else <see cref="TopicReadAccess.Presence"/> is null). <paramref name="headersJson"/> is
    /// the request's headers as a JSON object, for <c>request.headers</c> ("{}" for none).
    /// </summary>
    public Task<TopicReadAccess> ReadAsync(ConnectionIdentity identity, string topic, bool presence, string headersJson, CancellationToken cancellationToken) =>
        Shared(_reads, new ProbeKey(identity.ClaimSetKey, topic, headersJson, presence ? 1 : 0), () => ProbeReadAsync(identity, topic, presence, headersJson))
            .WaitAsync(cancellationToken);

    /// <summary>Whether <paramref name="identity"/> may send (<see cref="TopicExtension.Broadcast"/>) or track (<see cref="TopicExtension.Presence"/>) on <paramref name="topic"/>.</summary>
    public Task<bool> WriteAsync(ConnectionIdentity identity, string topic, TopicExtension extension, string headersJson, CancellationToken cancellationToken) =>
        Shared(_writes, new ProbeKey(identity.ClaimSetKey, topic, headersJson, (int)extension), () => ProbeWriteAsync(identity, topic, extension, headersJson))
            .WaitAsync(cancellationToken);

    /// <summary>
    /// The check of <paramref name="key"/> in flight, or a new one. A check is not cancelled by one caller giving up (others
    /// may wait for it); it ends by itself within <see cref="Timeout"/>. It leaves the table before its answer is published,
    /// so a caller that comes after an answer asks again.
    /// </summary>
    private static Task<T> Shared<T>(ConcurrentDictionary<ProbeKey, Task<T>> inFlight, ProbeKey key, Func<Task<T>> probe)
    {
        while (true)
        {
            if (inFlight.TryGetValue(key, out var running))
                return running;
            var answer = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
            if (!inFlight.TryAdd(key, answer.Task))
                continue;
            _ = RunAsync(answer);
            return answer.Task;
        }

        async Task RunAsync(TaskCompletionSource<T> answer)
        {
            try
            {
                var result = await probe();
                inFlight.TryRemove(KeyValuePair.Create(key, answer.Task));
                answer.SetResult(result);
            }
            catch (Exception ex)
            {
                inFlight.TryRemove(KeyValuePair.Create(key, answer.Task));
                answer.SetException(ex);
            }
        }
    }

    private async Task<TopicReadAccess> ProbeReadAsync(ConnectionIdentity identity, string topic, bool presence, string headersJson)
    {
        var broadcastId = Guid.NewGuid();
        var presenceId = Guid.NewGuid();
        return await GuardedAsync(async (connection, transaction, cancellationToken) =>
        {
            // As Sluice's own user, which owns realtime.messages or bypasses its row-level security: the rows to look for.
            await using (var insert = new NpgsqlCommand(
                "INSERT INTO realtime.messages (topic, extension, updated_at, inserted_at, id) VALUES "
                + (presence ? $"($1, 'broadcast', {UtcNow}, {UtcNow}, $2), ($1, 'presence', {UtcNow}, {UtcNow}, $3)" : $"($1, 'broadcast', {UtcNow}, {UtcNow}, $2)"),
                connection, transaction))
            {
                insert.Parameters.Add(new NpgsqlParameter<string> { TypedValue = topic });
                insert.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = broadcastId });
                if (presence)
                    insert.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = presenceId });
                await insert.ExecuteNonQueryAsync(cancellationToken);
            }

            await BecomeAsync(connection, transaction, identity, topic, headersJson, cancellationToken);
            await using var select = new NpgsqlCommand("SELECT m.id FROM realtime.messages m WHERE m.id = ANY($1)", connection, transaction);
            select.Parameters.Add(new NpgsqlParameter<Guid[]> { TypedValue = presence ? [broadcastId, presenceId] : [broadcastId] });
            var seen = new HashSet<Guid>();
            await using (var reader = await select.ExecuteReaderAsync(cancellationToken))
            {
                while (await reader.ReadAsync(cancellationToken))
                    seen.Add(reader.GetGuid(0));
            }
            return new TopicReadAccess(seen.Contains(broadcastId), presence ? seen.Contains(presenceId) : null);
        });
    }

    private async Task<bool> ProbeWriteAsync(ConnectionIdentity identity, string topic, TopicExtension extension, string headersJson) =>
        await GuardedAsync(async (connection, transaction, cancellationToken) =>
        {
            await BecomeAsync(connection, transaction, identity, topic, headersJson, cancellationToken);
            await transaction.SaveAsync("sluice_write_probe", cancellationToken);
            await using var insert = new NpgsqlCommand(
                $"INSERT INTO realtime.messages (topic, extension, updated_at, inserted_at) VALUES ($1, $2, {UtcNow}, {UtcNow})", connection, transaction);
            insert.Parameters.Add(new NpgsqlParameter<string> { TypedValue = topic });
            insert.Parameters.Add(new NpgsqlParameter<string> { TypedValue = extension.SqlName() });
            try
            {
                await insert.ExecuteNonQueryAsync(cancellationToken);
                return true;
            }
            catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.InsufficientPrivilege)
            {
                // Refused by a policy's WITH CHECK, or no INSERT privilege: a clear no.
                await transaction.RollbackAsync("sluice_write_probe", cancellationToken);
                return false;
            }
        });

    /// <summary>The rest of the transaction runs as the connection, with <c>realtime.topic()</c> and <c>request.headers</c> set.</summary>
    private static async Task BecomeAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, ConnectionIdentity identity, string topic,
        string headersJson, CancellationToken cancellationToken)
    {
        await SubscriberAccess.AssumeAsync(connection, transaction, identity, cancellationToken);
        await using var settings = new NpgsqlCommand(
            "SELECT pg_catalog.set_config('realtime.topic', $1, true), pg_catalog.set_config('request.headers', $2, true)", connection, transaction);
        settings.Parameters.Add(new NpgsqlParameter<string> { TypedValue = topic });
        settings.Parameters.Add(new NpgsqlParameter<string> { TypedValue = headersJson });
        await settings.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Runs <paramref name="check"/> in a transaction that is rolled back whatever happens, mapping every failure to a <see cref="TopicProbeException"/>.</summary>
    private async Task<T> GuardedAsync<T>(Func<NpgsqlConnection, NpgsqlTransaction, CancellationToken, Task<T>> check)
    {
        using var timeout = new CancellationTokenSource(Timeout);
        try
        {
            await using var connection = await dataSource.OpenConnectionAsync(timeout.Token);
            await using var transaction = await connection.BeginTransactionAsync(timeout.Token);
            var answer = await check(connection, transaction, timeout.Token);
            await transaction.RollbackAsync(timeout.Token);
            return answer;
        }
        catch (PostgresException ex)
        {
            var failure = ex.SqlState switch
            {
                PostgresErrorCodes.CheckViolation when ex.TableName?.StartsWith("messages", StringComparison.Ordinal) ?? true => TopicProbeFailure.MissingPartition,
                PostgresErrorCodes.QueryCanceled => TopicProbeFailure.QueryCanceled,
                _ => TopicProbeFailure.PolicyError,
            };
            throw new TopicProbeException(failure, DatabaseErrors.OneLine(ex), ex);
        }
        catch (OperationCanceledException ex) when (timeout.IsCancellationRequested)
        {
            throw new TopicProbeException(TopicProbeFailure.QueryCanceled, $"the policies on realtime.messages did not answer within {Timeout.TotalSeconds:0} s", ex);
        }
        catch (NpgsqlException ex)
        {
            throw new TopicProbeException(TopicProbeFailure.DatabaseUnavailable, DatabaseErrors.OneLine(ex), ex);
        }
    }
}
