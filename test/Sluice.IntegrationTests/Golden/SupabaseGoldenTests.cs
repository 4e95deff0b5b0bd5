using System.Text;
using Sluice.IntegrationTests.Infrastructure;

namespace Sluice.IntegrationTests.Golden;

/// <summary>
/// The Supabase (Phoenix) protocol at <c>/realtime/v1/websocket</c>, byte for byte, in both message formats: one scripted
/// session per vsn whose every frame (after <see cref="FrameNormalizer"/>) must equal Golden/supabase-v2.golden.txt (vsn
/// 2.0.0, array frames) or Golden/supabase-v1.golden.txt (vsn 1.0.0, object frames). The two scripts are the same except
/// for the kind-0 binary push (vsn 2.0.0 only) and which client sends the binary broadcast; their room also holds a native
/// client and a client of the other vsn, so each room frame is recorded in every serialization the room fans out.
/// </summary>
public sealed class SupabaseGoldenTests(PostgresFixture postgres) : GoldenTest(postgres)
{
    /// <summary>The scripts' sockets stay open however long a busy machine takes between two of their frames.</summary>
    protected override string[] MoreServerArgs => ["--supabase-idle-timeout", "01:00:00"];

    [Theory]
    [InlineData("2.0.0", "supabase-v2.golden.txt")]
    [InlineData("1.0.0", "supabase-v1.golden.txt")]
    public async Task Every_frame_of_the_supabase_protocol_matches_the_golden_transcript(string vsn, string goldenFile)
    {
        await CreateWorldAsync();
        var phoenix = new Phoenix(vsn);
        await RunGoldenAsync(goldenFile, GoldenSession.SyncFrames.Phoenix(phoenix.IsV2), session => ScriptAsync(session, phoenix));
    }

    /// <summary>Client pushes in one vsn: <c>[join_ref, ref, topic, event, payload]</c> (2.0.0) or an object (1.0.0).</summary>
    private sealed class Phoenix(string vsn)
    {
        public string Vsn { get; } = vsn;

        public bool IsV2 => Vsn == "2.0.0";

        public string Push(string? joinRef, string? reference, string topic, string eventName, string payload) => IsV2
            ? $"[{Quoted(joinRef)},{Quoted(reference)},\"{topic}\",\"{eventName}\",{payload}]"
            : $"{{\"topic\":\"{topic}\",\"event\":\"{eventName}\",\"payload\":{payload},\"ref\":{Quoted(reference)}{(joinRef is null ? "" : $",\"join_ref\":\"{joinRef}\"")}}}";

        private static string Quoted(string? value) => value is null ? "null" : $"\"{value}\"";
    }

    private static string JoinPayload(string postgresChanges, bool self = false, bool ack = false, string presenceKey = "", bool presence = false,
        string extra = "") =>
        $$"""{"config":{"broadcast":{"self":{{Bool(self)}},"ack":{{Bool(ack)}}},"presence":{"key":"{{presenceKey}}","enabled":{{Bool(presence)}}},"postgres_changes":{{postgresChanges}},"private":false}{{extra}}}""";

    private static string Bool(bool value) => value ? "true" : "false";

    /// <summary>A vsn 2.0.0 binary "user broadcast push" (kind 3, JSON payload).</summary>
    private static byte[] UserBroadcastPush(string joinRef, string reference, string topic, string eventName, string payload)
    {
        byte[][] parts = [Encoding.UTF8.GetBytes(joinRef), Encoding.UTF8.GetBytes(reference), Encoding.UTF8.GetBytes(topic), Encoding.UTF8.GetBytes(eventName)];
        return [3, (byte)parts[0].Length, (byte)parts[1].Length, (byte)parts[2].Length, (byte)parts[3].Length, 0, 1, .. parts.SelectMany(p => p), .. Encoding.UTF8.GetBytes(payload)];
    }

    /// <summary>A vsn 2.0.0 binary push of Phoenix kind 0 (a push with a binary payload), which Sluice does not support.</summary>
    private static byte[] BinaryPayloadPush(string joinRef, string reference, string topic, string eventName, byte[] payload)
    {
        byte[][] parts = [Encoding.UTF8.GetBytes(joinRef), Encoding.UTF8.GetBytes(reference), Encoding.UTF8.GetBytes(topic), Encoding.UTF8.GetBytes(eventName)];
        return [0, (byte)parts[0].Length, (byte)parts[1].Length, (byte)parts[2].Length, (byte)parts[3].Length, .. parts.SelectMany(p => p), .. payload];
    }

    private Task<WireClient> ConnectAsync(GoldenSession session, string name, string apiKey, Phoenix phoenix) =>
        session.ConnectAsync(name, new Uri($"ws://{Server.HttpBase.Authority}/realtime/v1/websocket?apikey={Uri.EscapeDataString(apiKey)}&vsn={phoenix.Vsn}"),
            sync: GoldenSession.SyncFrames.Phoenix(phoenix.IsV2));

    private async Task ScriptAsync(GoldenSession s, Phoenix p)
    {
        s.Comment($"Golden transcript of the Supabase protocol, vsn {p.Vsn} (test/Sluice.IntegrationTests/Golden/SupabaseGoldenTests.cs).");
        s.Comment("'> name' a client's frame, '< name' the server's, '# sql:' a statement the script ran. Placeholders: see FrameNormalizer.");
        s.Comment("Regenerate after a deliberate change: SLUICE_UPDATE_GOLDEN=1 (docs/development.md).");

        const string Todos = "realtime:todos";
        const string Lobby = "realtime:lobby";

        // ---- Connecting
        s.Step("upgrades refused over HTTP: no apikey, a bad apikey, an unknown vsn");
        await s.RefusedUpgradeAsync("refused", Server.Http, $"/realtime/v1/websocket?vsn={p.Vsn}");
        await s.RefusedUpgradeAsync("refused", Server.Http, $"/realtime/v1/websocket?apikey=not-a-jwt&vsn={p.Vsn}");
        await s.RefusedUpgradeAsync("refused", Server.Http, "/realtime/v1/websocket?apikey=sb_publishable_golden&vsn=3.0.0");

        s.Step("connect with a JWT as apikey (alice, role golden_user) and with an opaque sb_ key (bob, anonymous)");
        var alice = await ConnectAsync(s, "alice", Token("user-1"), p);
        var bob = await ConnectAsync(s, "bob", "sb_publishable_golden", p);

        s.Step("heartbeat: phx_reply ok echoing the ref");
        await AskAsync(s, alice, p.Push(null, "h1", "phoenix", "heartbeat", "{}"));

        // ---- postgres_changes
        s.Step("join with postgres_changes bindings (event filters, a row filter): the reply echoes them with ids and offsets, then system");
        await AskAsync(s, alice, p.Push("1", "1", Todos, "phx_join", JoinPayload("""
            [{"event":"*","schema":"public","table":"products"},{"event":"INSERT","schema":"public","table":"products","filter":"id=eq.5"},{"event":"UPDATE","schema":"public","table":"notes"},{"event":"DELETE","schema":"public","table":"gadgets"}]
            """)));

        s.Step("INSERT, UPDATE, DELETE with REPLICA IDENTITY FULL");
        await SqlAsync(s, """INSERT INTO products VALUES (4, 'Desk « ☕ »', 120.00, '{wood}', '{"legs": 4}', true, '2025-02-01 08:30:00.5+00')""");
        var firstInsert = (await s.ExpectAsync(alice, 1))[0];
        await SqlAsync(s, "UPDATE products SET price = 135.50, in_stock = false WHERE id = 4");
        await s.ExpectAsync(alice, 1);
        await SqlAsync(s, "DELETE FROM products WHERE id = 4");
        await s.ExpectAsync(alice, 1);

        // When one change matches several bindings, each gets its own message; their order is not guaranteed: recorded by ids.
        s.Step("a change that matches two bindings: one message per binding (recorded sorted by ids)");
        await SqlAsync(s, "INSERT INTO products VALUES (5, 'Chair', 45.00, NULL, NULL, true, NULL)");
        await s.ExpectInCanonicalOrderAsync(alice, 2, frame => (p.IsV2 ? frame[4] : frame.GetProperty("payload")).GetProperty("ids").GetRawText());

        s.Step("REPLICA IDENTITY DEFAULT: an INSERT no binding asks for, then an UPDATE (old_record without the values the WAL did not carry)");
        await SqlAsync(s, "INSERT INTO notes VALUES (10, 'first', false)");
        await SqlAsync(s, "UPDATE notes SET body = 'second' WHERE id = 10");
        await s.ExpectAsync(alice, 1);

        s.Step("a transaction of three changes");
        await SqlAsync(s, "BEGIN; INSERT INTO products VALUES (6, 'Shelf', 80.00, NULL, NULL, true, NULL); UPDATE products SET name = 'Armchair' WHERE id = 5; DELETE FROM products WHERE id = 6; COMMIT");
        await s.ExpectAsync(alice, 3);

        s.Step("row-level security (golden_user sees its own tasks and memos) and a record over the maximum size (1024 bytes in this test)");
        await AskAsync(s, alice, p.Push("3", "3", "realtime:rls", "phx_join", JoinPayload("""
            [{"event":"*","schema":"public","table":"tasks"},{"event":"*","schema":"public","table":"memos"},{"event":"INSERT","schema":"public","table":"docs"}]
            """)));
        await SqlAsync(s, "INSERT INTO tasks VALUES (1, 'user-1', 'mine')");
        await s.ExpectAsync(alice, 1);
        await SqlAsync(s, "INSERT INTO tasks VALUES (2, 'user-2', 'theirs')");
        await SqlAsync(s, "UPDATE tasks SET owner = 'user-1' WHERE id = 2");
        await s.ExpectAsync(alice, 1);
        await SqlAsync(s, "UPDATE tasks SET owner = 'user-2', title = 'given away' WHERE id = 1");
        await s.ExpectAsync(alice, 1);
        await SqlAsync(s, "INSERT INTO memos VALUES (1, 'user-1', 'memo')");
        await s.ExpectAsync(alice, 1);
        await SqlAsync(s, "DELETE FROM memos WHERE id = 1");
        await s.ExpectAsync(alice, 1);
        await SqlAsync(s, "INSERT INTO docs VALUES (1, 'Report', repeat('x', 2000))");
        await s.ExpectAsync(alice, 1);
        await AskAsync(s, alice, p.Push("3", "3a", "realtime:rls", "phx_leave", "{}"));

        s.Step("a schema-wide binding (every readable realtime table) and a binding with select");
        await AskAsync(s, alice, p.Push("2", "2", "realtime:wide", "phx_join", JoinPayload("""
            [{"event":"INSERT","schema":"public"},{"event":"UPDATE","schema":"public","table":"gadgets","select":["id"]}]
            """)));
        await SqlAsync(s, "INSERT INTO gadgets VALUES (1, 'Widget')");
        await s.ExpectAsync(alice, 1);
        await SqlAsync(s, "UPDATE gadgets SET name = 'Gizmo' WHERE id = 1");
        await s.ExpectAsync(alice, 1);

        s.Step("phx_leave: phx_reply ok, then phx_close");
        await AskAsync(s, alice, p.Push("2", "3", "realtime:wide", "phx_leave", "{}"));

        s.Step("a binding with since: the reply echoes it, the changes after it follow, then system");
        await AskAsync(s, alice, p.Push("4", "4", "realtime:resume", "phx_join", JoinPayload($$"""
            [{"event":"*","schema":"public","table":"products","since":"{{Field(firstInsert, p.IsV2 ? ["4", "data", "offset"] : ["payload", "data", "offset"])}}"}]
            """)));
        await AskAsync(s, alice, p.Push("4", "5", "realtime:resume", "phx_leave", "{}"));

        var epoch = Field(firstInsert, p.IsV2 ? ["4", "data", "offset"] : ["payload", "data", "offset"])[..8];
        var otherEpoch = epoch == "00000000" ? "00000001" : "00000000";
        s.Step("a since of another epoch: joined, live from now, with a resync_required system message");
        await AskAsync(s, alice, p.Push("6", "6", "realtime:resync", "phx_join", JoinPayload($$"""
            [{"event":"*","schema":"public","table":"notes","since":"{{otherEpoch}}-0000000000000001-00000000"}]
            """)));
        await AskAsync(s, alice, p.Push("6", "7", "realtime:resync", "phx_leave", "{}"));

        // ---- Errors
        s.Step("joins refused");
        await AskAsync(s, alice, p.Push("10", "10", "todos", "phx_join", JoinPayload("[]")));
        await AskAsync(s, alice, p.Push("11", "11", "realtime:bad", "phx_join", JoinPayload("\"all\"")));
        await AskAsync(s, alice, p.Push("12", "12", "realtime:bad", "phx_join", JoinPayload("""[{"event":"UPSERT","schema":"public","table":"products"}]""")));
        await AskAsync(s, alice, p.Push("13", "13", "realtime:bad", "phx_join", JoinPayload("""[{"event":"*","schema":"public","table":"nope"}]""")));
        await AskAsync(s, alice, p.Push("14", "14", "realtime:bad", "phx_join", JoinPayload("""[{"event":"*","schema":"public","table":"plain"}]""")));
        await AskAsync(s, alice, p.Push("15", "15", "realtime:bad", "phx_join", JoinPayload("""[{"event":"*","schema":"public","table":"products","filter":"price=gt.cheap"}]""")));
        await AskAsync(s, alice, p.Push("16", "16", "realtime:bad", "phx_join", JoinPayload("""[{"event":"*","schema":"public","filter":"id=eq.1"}]""")));
        await AskAsync(s, alice, p.Push("17", "17", "realtime:bad", "phx_join", JoinPayload("""[{"event":"*","schema":"public","table":"secret"}]""")));
        await AskAsync(s, alice, p.Push("18", "18", "realtime:bad", "phx_join", JoinPayload("""[{"event":"*","schema":"public","table":"products","select":["nope"]}]""")));
        await AskAsync(s, alice, p.Push("19", "19", "realtime:bad", "phx_join", JoinPayload("""[{"event":"*","schema":"public","table":"products","since":"not-an-offset"}]""")));
        await AskAsync(s, alice, p.Push("20", "20", "realtime:bad", "phx_join", JoinPayload($$"""[{"event":"*","schema":"public","table":"products","since":"{{epoch}}-7FFFFFFFFFFFFFFF-00000000"}]""")));
        await AskAsync(s, alice, p.Push("21", "21", "realtime:bad", "phx_join", JoinPayload("[]", extra: ",\"access_token\":\"not-a-jwt\"")));
        await AskAsync(s, alice, p.Push("22", "22", "realtime:bad name", "phx_join", JoinPayload("[]")));
        await AskAsync(s, alice, p.Push("23", "23", "realtime:vault", "phx_join", JoinPayload("[]").Replace("\"private\":false", "\"private\":true", StringComparison.Ordinal)));

        s.Step("pushes that cannot be handled: to a topic not joined, an unknown event, a lone surrogate escape, a frame of the other vsn (ignored)");
        await AskAsync(s, alice, p.Push("30", "30", "realtime:never", "broadcast", """{"type":"broadcast","event":"e","payload":{}}"""));
        await AskAsync(s, alice, p.Push("1", "31", Todos, "custom", "{}"));
        await AskAsync(s, alice, p.Push("1", "32", Todos, "custom", """{"text":"\udc00"}"""));
        await AskAsync(s, alice, new Phoenix(p.IsV2 ? "1.0.0" : "2.0.0").Push("1", "33", Todos, "phx_leave", "{}"));
        if (p.IsV2)
        {
            await s.SendBinaryAsync(alice, BinaryPayloadPush("1", "34", Todos, "custom", [1, 2, 3]));
            await s.SyncAsync(alice);
        }

        // ---- Broadcast and presence
        // Channel realtime:lobby is room:lobby: a native client (dave) and a client of the other vsn (olga) are in the same
        // room, so every room frame is recorded in all three serializations.
        var q = new Phoenix(p.IsV2 ? "1.0.0" : "2.0.0");
        var v2Client = p.IsV2 ? "bob" : "olga";
        s.Step("join a room with presence: phx_reply (no bindings), presence_state; alice with self and ack and a presence key, bob without; dave (native) and olga (the other vsn) in the same room");
        await AskAsync(s, alice, p.Push("40", "40", Lobby, "phx_join", JoinPayload("[]", self: true, ack: true, presenceKey: "alice", presence: true)));
        await AskAsync(s, bob, p.Push("41", "41", Lobby, "phx_join", JoinPayload("[]", presence: true)));
        var dave = await s.ConnectAsync("dave", new Uri(Server.WebSocketUrl.ToString()), dropServerHeartbeats: true, sync: GoldenSession.SyncFrames.Native);
        await AskAsync(s, dave, """{"type":"subscribe","channel":"room:lobby"}""");
        var olga = await ConnectAsync(s, "olga", "sb_publishable_golden", q);
        await AskAsync(s, olga, q.Push("90", "90", Lobby, "phx_join", JoinPayload("[]", presenceKey: "olga", presence: true)));

        s.Step("broadcast with self and ack: the sender gets its own message and a phx_reply, the others the message");
        await AskAsync(s, alice, p.Push("40", "42", Lobby, "broadcast", """{"type":"broadcast","event":"cursor","payload":{"x":1,"label":"ünïcode"}}"""));
        await s.SyncAsync(bob, dave, olga);

        s.Step("broadcast without self and ack (no ref): only the others get it");
        await AskAsync(s, bob, p.Push("41", null, Lobby, "broadcast", """{"type":"broadcast","event":"chat","payload":"hello"}"""));
        await s.SyncAsync(alice, dave, olga);

        s.Step("a native broadcast reaches the Supabase members");
        await AskAsync(s, dave, """{"type":"broadcast","channel":"room:lobby","event":"ping","payload":{"n":1},"ack":true,"ref":"d1"}""");
        await s.SyncAsync(alice, bob, olga);

        s.Step($"a binary user broadcast push (kind 3) from {v2Client} (vsn 2.0.0): vsn 2.0.0 members get a binary user broadcast (kind 4), the others JSON");
        var binarySender = p.IsV2 ? bob : olga;
        await s.SendBinaryAsync(binarySender, UserBroadcastPush(p.IsV2 ? "41" : "90", "43", Lobby, "cursor", """{"x":2}"""));
        await s.SyncAsync(binarySender);
        await s.SyncAsync([.. new[] { alice, bob, dave, olga }.Where(c => c != binarySender)]);

        s.Step("a database broadcast (realtime.send to the topic, public): vsn 1.0.0 JSON, vsn 2.0.0 binary kind 4, meta with the row id and the offset; native room members get it as database_broadcast");
        await SqlAsync(s, """SELECT realtime.send('{"x":3}'::jsonb, 'from-db', 'lobby', false)""");
        await s.ExpectAsync(alice, 1);
        await s.ExpectAsync(bob, 1);
        await s.ExpectAsync(olga, 1);
        await s.ExpectAsync(dave, 1);

        s.Step("presence: track with a key (phx_reply after the diff), track with the key the server picked, update, untrack; a native track");
        await AskAsync(s, alice, p.Push("40", "44", Lobby, "presence", """{"type":"presence","event":"track","payload":{"status":"online","phx_ref":"spoofed"}}"""));
        await s.SyncAsync(bob, dave, olga);
        await AskAsync(s, bob, p.Push("41", null, Lobby, "presence", """{"type":"presence","event":"track","payload":{"status":"away"}}"""));
        await s.SyncAsync(alice, dave, olga);
        await AskAsync(s, alice, p.Push("40", "45", Lobby, "presence", """{"type":"presence","event":"track","payload":{"status":"busy"}}"""));
        await s.SyncAsync(bob, dave, olga);
        await AskAsync(s, alice, p.Push("40", "46", Lobby, "presence", """{"type":"presence","event":"untrack"}"""));
        await s.SyncAsync(bob, dave, olga);
        await AskAsync(s, dave, """{"type":"presence","channel":"room:lobby","state":{"status":"native"},"key":"dave"}""");
        await s.SyncAsync(alice, bob, olga);

        s.Step("a newcomer gets presence_state with everyone tracked");
        var carol = await ConnectAsync(s, "carol", "sb_publishable_golden", p);
        await AskAsync(s, carol, p.Push("50", "50", Lobby, "phx_join", JoinPayload("[]", presence: true)));

        s.Step("errors of broadcast and presence");
        await AskAsync(s, alice, p.Push("40", "47", Lobby, "broadcast", """{"type":"broadcast","payload":{}}"""));
        await AskAsync(s, alice, p.Push("40", "48", Lobby, "broadcast", """{"type":"broadcast","event":"big","payload":{"text":"0123456789012345678901234567890123456789012345678901234567890123456789"}}"""));
        await AskAsync(s, alice, p.Push("40", "49", Lobby, "presence", """{"type":"presence","event":"dance"}"""));
        await AskAsync(s, alice, p.Push("40", "50", Lobby, "presence", """{"type":"presence","event":"track","payload":[1]}"""));

        s.Step("a frame over the maximum message size (65536 bytes): close 1009");
        var large = await ConnectAsync(s, "large", "sb_publishable_golden", p);
        var oversized = p.Push(null, "70", "phoenix", "heartbeat", $$"""{"padding":"{{new string('x', 70_000)}}"}""");
        await s.SendAsync(large, oversized, shown: $"[a text frame of {Encoding.UTF8.GetByteCount(oversized)} bytes]");
        await s.ExpectAsync(large, 1);

        // The limit counts joined topics and router subscriptions (one per binding and table) together.
        s.Step("too many channels (12 in this test): a join over the limit is refused");
        var greedy = await ConnectAsync(s, "greedy", "sb_publishable_golden", p);
        await AskAsync(s, greedy, p.Push("80", "80", "realtime:greedy", "phx_join", JoinPayload("""
            [{"event":"*","schema":"public"},{"event":"INSERT","schema":"public"}]
            """)));
        await AskAsync(s, greedy, p.Push("81", "81", "realtime:greedier", "phx_join", JoinPayload("[]")));
        await AskAsync(s, greedy, p.Push("80", "82", "realtime:greedy", "phx_leave", "{}"));

        // ---- Channel ends
        s.Step("disable_realtime on a bound table: a system error, then phx_error");
        await SqlAsync(s, "SELECT disable_realtime('public', 'gadgets')");
        await s.ExpectAsync(alice, 2);

        s.Step("access_token: a valid new token changes nothing visible; an invalid one ends the channel (system error, phx_close)");
        await AskAsync(s, alice, p.Push("1", "60", Todos, "access_token", $$"""{"access_token":"{{Token("user-1", expires: FarFuture.AddDays(1))}}"}"""));
        await AskAsync(s, alice, p.Push("1", "61", Todos, "access_token", """{"access_token":"not-a-jwt"}"""));

        s.Step("phx_leave of a room: phx_reply, phx_close; the others see the presence leave");
        await AskAsync(s, bob, p.Push("41", "62", Lobby, "phx_leave", "{}"));
        await s.SyncAsync(alice, carol, dave, olga);

        s.Step("joining a joined topic again: the first join is closed (phx_close), then the new one is answered");
        await AskAsync(s, carol, p.Push("51", "63", Lobby, "phx_join", JoinPayload("[]", presenceKey: "carol", presence: true)));
        await s.SyncAsync(alice, dave, olga);

        s.Step("a native client closes: the others see its presence leave");
        await s.CloseAsync(dave, System.Net.WebSockets.WebSocketCloseStatus.NormalClosure, "bye");
        await s.ExpectAsync(dave, 1);
        await s.ExpectAsync(alice, 1);
        await s.SyncAsync(carol, olga);

        s.Step("the end: nothing else was queued to anyone");
        await s.SyncAllAsync();
    }
}
