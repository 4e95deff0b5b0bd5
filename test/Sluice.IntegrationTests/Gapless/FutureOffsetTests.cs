using System.Globalization;
using Sluice.IntegrationTests.Infrastructure;
using Sluice.IntegrationTests.Supabase;
using Sluice.Protocol;

namespace Sluice.IntegrationTests.Gapless;

/// <summary>
/// Issue 15, item 9: a <c>since</c> of the current epoch that lies beyond anything the database has written was never
/// issued: it is refused (<c>invalid_offset</c>; a refused join on Supabase), not acknowledged and then silent.
/// </summary>
public sealed class FutureOffsetTests(PostgresFixture postgres) : ServerTest(postgres)
{
    /// <summary>A real offset moved far past the database's WAL, same epoch and format.</summary>
    private static string Future(string offset)
    {
        var parts = offset.Split('-');
        var lsn = ulong.Parse(parts[1], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture) + 0x10_0000_0000UL;
        return $"{parts[0]}-{lsn.ToString("X16", CultureInfo.InvariantCulture)}-{parts[2]}";
    }

    [Fact]
    public async Task A_native_subscribe_with_a_future_since_gets_invalid_offset()
    {
        await CreateTableAsync("items", "id bigint PRIMARY KEY, name text");
        var client = await ConnectAsync();
        await client.SubscribeAsync("table:public.items");
        await Database.ExecuteAsync("INSERT INTO items VALUES (1, 'x')");
        var offset = Frames.Offset(await client.NextChangeAsync());

        await client.SendAsync(new { type = "subscribe", channel = "table:public.items", since = Future(offset) });
        var reply = await client.NextAsync();
        Assert.True(reply.GetProperty("type").GetString() == "error", $"expected invalid_offset, got {reply}");
        Assert.Equal(ErrorCodes.InvalidOffset, reply.GetProperty("code").GetString());

        // The offset that was issued still resumes.
        await client.SendAsync(new { type = "subscribe", channel = "table:public.items", since = offset });
        Assert.Equal("ack", (await client.NextAsync()).GetProperty("type").GetString());
    }

    [Fact]
    public async Task A_supabase_binding_with_a_future_since_is_refused_at_join()
    {
        await CreateTableAsync("items", "id bigint PRIMARY KEY, name text");
        var client = await ConnectPhoenixAsync("2.0.0");
        var (_, reply) = await client.JoinAsync("realtime:items", SupabaseResumeTests.Join("items"));
        var offset = SupabaseResumeTests.ReplyBinding(reply).GetProperty("offset").GetString()!;

        var (_, refused) = await client.JoinAsync("realtime:later", SupabaseResumeTests.Join("items", since: Future(offset)));
        Assert.Equal("error", refused.Payload.GetProperty("status").GetString());
        Assert.Contains("since", refused.Payload.GetProperty("response").GetProperty("reason").GetString(), StringComparison.Ordinal);
    }
}
