using System.Net.WebSockets;
using System.Text;
using Sluice.IntegrationTests.Infrastructure;

namespace Sluice.IntegrationTests.Golden;

/// <summary>
/// The native protocol at <c>/realtime</c>, byte for byte: one scripted session whose every frame (after
/// <see cref="FrameNormalizer"/>) must equal Golden/native.golden.txt. A safety net for refactoring: any change of what the
/// server sends fails with the first differing line.
/// </summary>
public sealed class NativeGoldenTests(PostgresFixture postgres) : GoldenTest(postgres)
{
    private const string Products = "table:public.products";
    private const string Notes = "table:public.notes";
    private const string Lobby = "room:lobby";

    /// <summary>A server heartbeat every second, so the script can wait for one (the others are dropped by the clients).</summary>
    protected override string[] MoreServerArgs => ["--heartbeat-interval", "00:00:01"];

    [Fact]
    public async Task Every_frame_of_the_native_protocol_matches_the_golden_transcript()
    {
        await CreateWorldAsync();
        await RunGoldenAsync("native.golden.txt", GoldenSession.SyncFrames.Native, ScriptAsync);
    }

    private Task<WireClient> ConnectAsync(GoldenSession session, string name, string query = "") =>
        session.ConnectAsync(name, new Uri(Server.WebSocketUrl + query), dropServerHeartbeats: true);

    private async Task ScriptAsync(GoldenSession s)
    {
        s.Comment("Golden transcript of the native protocol (test/Sluice.IntegrationTests/Golden/NativeGoldenTests.cs).");
        s.Comment("'> name' a client's frame, '< name' the server's, '# sql:' a statement the script ran. Placeholders: see FrameNormalizer.");
        s.Comment("Regenerate after a deliberate change: SLUICE_UPDATE_GOLDEN=1 (docs/development.md).");

        await SqlAsync(s, """INSERT INTO products VALUES (1, 'Lamp', 99.99, '{light,desk}', '{"color": "red", "watts": 40}', true, '2025-01-31 12:00:00.123456+00'), (2, 'Chaise « longue » ☕', 250.00, '{}', 'null', false, NULL), (3, 'Rug', 0.50, NULL, '[1, 2.5, "x"]', NULL, '1999-12-31 23:59:59+00')""");

        // ---- Connecting
        s.Step("connect without a token: anonymous, nothing is sent");
        var anon = await ConnectAsync(s, "anon");
        await s.SyncAsync(anon);

        s.Step("connect with a malformed token: error, then close 4001");
        var malformed = await ConnectAsync(s, "malformed", "?token=not-a-jwt");
        await s.ExpectAsync(malformed, 2);

        s.Step("connect with an expired token: error, then close 4001");
        var expired = await ConnectAsync(s, "expired", "?token=" + Token("user-1", expires: new DateTime(2020, 1, 1, 0, 0, 0, DateTimeKind.Utc)));
        await s.ExpectAsync(expired, 2);

        s.Step("connect with a valid token (role golden_user)");
        var user = await ConnectAsync(s, "user", "?token=" + Token("user-1"));
        await s.SyncAsync(user);

        // ---- Heartbeats
        s.Step("a heartbeat with a ref is answered; one without a ref is not");
        await AskAsync(s, anon, """{"type":"heartbeat","ref":"k1"}""");
        await AskAsync(s, anon, """{"type":"heartbeat"}""");

        s.Step("the server's periodic heartbeat (every second in this test; dropped everywhere else in the transcript)");
        anon.KeepNextServerHeartbeat();
        await s.ExpectAsync(anon, 1);

        // ---- Table subscriptions
        s.Step("subscribe with a snapshot (filtered): ack without offset, snapshot rows, last frame with the offset it is consistent with");
        await AskAsync(s, user, """{"type":"subscribe","channel":"table:public.products","snapshot":true,"filter":"price=gte.1"}""");

        s.Step("subscribe with a snapshot, no filter: every row, including JSON, arrays, NULLs, timestamps and non-ASCII text");
        await AskAsync(s, user, """{"type":"subscribe","channel":"table:public.products","snapshot":true}""");

        s.Step("subscribe live: ack with the offset the subscription starts after");
        var ack = (await AskAsync(s, anon, $$"""{"type":"subscribe","channel":"{{Products}}"}"""))[0];

        s.Step("INSERT, UPDATE, DELETE on a table with REPLICA IDENTITY FULL (anon and user both subscribed)");
        await SqlAsync(s, """INSERT INTO products VALUES (4, 'Desk', 120.00, '{wood}', '{"legs": 4}', true, '2025-02-01 08:30:00+00')""");
        var firstInsert = (await s.ExpectAsync(anon, 1))[0];
        await s.SyncAsync(user);
        await SqlAsync(s, "UPDATE products SET price = 135.50, in_stock = false WHERE id = 4");
        await s.ExpectAsync(anon, 1);
        await s.SyncAsync(user);
        await SqlAsync(s, "DELETE FROM products WHERE id = 4");
        await s.ExpectAsync(anon, 1);
        await s.SyncAsync(user);

        s.Step("INSERT, UPDATE (key kept, then key changed), DELETE on a table with REPLICA IDENTITY DEFAULT");
        await AskAsync(s, anon, $$"""{"type":"subscribe","channel":"{{Notes}}"}""");
        await SqlAsync(s, "INSERT INTO notes VALUES (10, 'first', false)");
        await s.ExpectAsync(anon, 1);
        await SqlAsync(s, "UPDATE notes SET body = 'second', pinned = true WHERE id = 10");
        await s.ExpectAsync(anon, 1);
        await SqlAsync(s, "UPDATE notes SET id = 11 WHERE id = 10");
        await s.ExpectAsync(anon, 1);
        await SqlAsync(s, "DELETE FROM notes WHERE id = 11");
        await s.ExpectAsync(anon, 1);

        s.Step("a transaction of three changes on one channel: tx_end only on its last change");
        await SqlAsync(s, "BEGIN; INSERT INTO products VALUES (5, 'Chair', 45.00, NULL, NULL, true, NULL); INSERT INTO products VALUES (6, 'Shelf', 80.00, NULL, NULL, true, NULL); UPDATE products SET name = 'Armchair' WHERE id = 5; COMMIT");
        await s.ExpectAsync(anon, 3);
        await s.SyncAsync(user);

        // Frames of one transaction on different channels may interleave differently (docs/protocol.md): recorded by
        // channel name, each channel's frames in their order of arrival.
        s.Step("a transaction over two channels: tx_end marks each channel's last change (recorded sorted by channel)");
        await SqlAsync(s, "BEGIN; INSERT INTO products VALUES (7, 'Stool', 30.00, NULL, NULL, true, NULL); INSERT INTO notes VALUES (20, 'in the same transaction', false); INSERT INTO products VALUES (8, 'Bench', 60.00, NULL, NULL, true, NULL); COMMIT");
        await s.ExpectInCanonicalOrderAsync(anon, 3, frame => frame.GetProperty("channel").GetString()!);
        await s.SyncAsync(user);

        s.Step("TRUNCATE");
        await SqlAsync(s, "TRUNCATE notes");
        await s.ExpectAsync(anon, 1);

        s.Step("subscribe again with events: only DELETE (the subscription is replaced)");
        await AskAsync(s, user, $$"""{"type":"subscribe","channel":"{{Products}}","events":["DELETE"]}""");
        await SqlAsync(s, "UPDATE products SET price = 31.00 WHERE id = 7");
        await s.ExpectAsync(anon, 1);
        await s.SyncAsync(user);
        await SqlAsync(s, "DELETE FROM products WHERE id = 7");
        await s.ExpectAsync(anon, 1);
        await s.SyncAsync(user);

        s.Step("subscribe again with a filter: only rows with price > 100, a row leaving the filter");
        await AskAsync(s, user, $$"""{"type":"subscribe","channel":"{{Products}}","filter":"price=gt.100"}""");
        await SqlAsync(s, "INSERT INTO products VALUES (9, 'Cheap', 50.00, NULL, NULL, true, NULL)");
        await s.ExpectAsync(anon, 1);
        await s.SyncAsync(user);
        await SqlAsync(s, "INSERT INTO products VALUES (10, 'Dear', 500.00, NULL, NULL, true, NULL)");
        await s.ExpectAsync(anon, 1);
        await s.SyncAsync(user);
        await SqlAsync(s, "UPDATE products SET price = 20.00 WHERE id = 10");
        await s.ExpectAsync(anon, 1);
        await s.SyncAsync(user);

        s.Step("unsubscribe, then resume with since: ack without offset, then every change after it");
        await AskAsync(s, user, $$"""{"type":"unsubscribe","channel":"{{Products}}"}""");
        await AskAsync(s, user, $$"""{"type":"subscribe","channel":"{{Products}}","since":"{{Field(firstInsert, "offset")}}"}""");

        s.Step("resume with since = a live subscription's ack offset");
        await AskAsync(s, user, $$"""{"type":"unsubscribe","channel":"{{Products}}"}""");
        await AskAsync(s, user, $$"""{"type":"subscribe","channel":"{{Products}}","since":"{{Field(ack, "offset")}}","filter":"id=in.(4,5)"}""");

        s.Step("the same resume with batch_catch_up: the replayed changes in one changes frame, each element the broadcast frame above");
        await AskAsync(s, user, $$"""{"type":"unsubscribe","channel":"{{Products}}"}""");
        await AskAsync(s, user, $$"""{"type":"subscribe","channel":"{{Products}}","since":"{{Field(ack, "offset")}}","filter":"id=in.(4,5)","batch_catch_up":true}""");

        // ---- Row-level security
        s.Step("row-level security (golden_user sees its own tasks): a visible INSERT, an invisible one, a row entering sight (UPDATE without old_record), a row leaving it (as a DELETE)");
        await AskAsync(s, user, """{"type":"subscribe","channel":"table:public.tasks"}""");
        await SqlAsync(s, "INSERT INTO tasks VALUES (1, 'user-1', 'mine')");
        await s.ExpectAsync(user, 1);
        await SqlAsync(s, "INSERT INTO tasks VALUES (2, 'user-2', 'theirs')");
        await SqlAsync(s, "UPDATE tasks SET owner = 'user-1' WHERE id = 2");
        await s.ExpectAsync(user, 1);
        await SqlAsync(s, "UPDATE tasks SET owner = 'user-2', title = 'given away' WHERE id = 1");
        await s.ExpectAsync(user, 1);

        s.Step("row-level security under REPLICA IDENTITY DEFAULT: a DELETE whose old row lacks the column the policy reads is withheld (access_check_failed)");
        await AskAsync(s, user, """{"type":"subscribe","channel":"table:public.memos"}""");
        await SqlAsync(s, "INSERT INTO memos VALUES (1, 'user-1', 'memo')");
        await s.ExpectAsync(user, 1);
        await SqlAsync(s, "DELETE FROM memos WHERE id = 1");
        await s.ExpectAsync(user, 1);

        // ---- Records over the maximum size, long snapshots
        s.Step("a change over the maximum record size (1024 bytes in this test) is sent reduced");
        await AskAsync(s, user, """{"type":"subscribe","channel":"table:public.docs"}""");
        await SqlAsync(s, "INSERT INTO docs VALUES (1, 'Report', repeat('x', 2000))");
        await s.ExpectAsync(user, 1);
        await SqlAsync(s, "INSERT INTO docs VALUES (2, 'Notes', 'short')");
        await s.ExpectAsync(user, 1);

        s.Step("a snapshot with a row over the maximum record size: the row reduced, too_large_rows, key_columns");
        await AskAsync(s, user, """{"type":"subscribe","channel":"table:public.docs","snapshot":true}""");

        s.Step("a snapshot of 501 rows: two frames, the first with last false");
        await SqlAsync(s, "INSERT INTO counters SELECT generate_series(1, 501)");
        await AskAsync(s, user, """{"type":"subscribe","channel":"table:public.counters","snapshot":true}""");

        // ---- Errors
        var epoch = Field(ack, "offset")[..8];
        var otherEpoch = epoch == "00000000" ? "00000001" : "00000000";
        s.Step("errors of subscribe");
        await AskAsync(s, anon, """{"type":"subscribe","channel":"table:public.nope"}""");
        await AskAsync(s, anon, """{"type":"subscribe","channel":"table:public.plain"}""");
        await AskAsync(s, anon, """{"type":"subscribe","channel":"table:public.products","filter":"nope=eq.1"}""");
        await AskAsync(s, anon, """{"type":"subscribe","channel":"table:public.products","filter":"price=gt.cheap"}""");
        await AskAsync(s, anon, """{"type":"subscribe","channel":"table:public.products","filter":"price"}""");
        await AskAsync(s, anon, """{"type":"subscribe","channel":"tabel:public.products"}""");
        await AskAsync(s, anon, """{"type":"subscribe","channel":"table:"}""");
        await AskAsync(s, anon, """{"type":"subscribe","channel":"table:public.products","since":"not-an-offset"}""");
        await AskAsync(s, anon, $$"""{"type":"subscribe","channel":"table:public.products","since":"{{epoch}}-7FFFFFFFFFFFFFFF-00000000"}""");
        await AskAsync(s, anon, $$"""{"type":"subscribe","channel":"table:public.products","since":"{{otherEpoch}}-0000000000000001-00000000"}""");
        await AskAsync(s, anon, """{"type":"subscribe","channel":"table:public.products","events":["UPSERT"]}""");
        await AskAsync(s, anon, """{"type":"subscribe","channel":"table:public.products","events":[]}""");
        await AskAsync(s, user, """{"type":"subscribe","channel":"table:public.secret"}""");

        s.Step("errors of any frame");
        await AskAsync(s, anon, """{"type":"subscribe",""");
        await AskAsync(s, anon, "[]");
        await AskAsync(s, anon, """{"channel":"table:public.products"}""");
        await AskAsync(s, anon, """{"type":"subscribe"}""");
        await AskAsync(s, anon, """{"type":"subscribe","channel":5}""");
        await AskAsync(s, anon, """{"type":"jump","channel":"table:public.products"}""");
        await AskAsync(s, anon, """{"type":"subscribe","channel":"\ud800"}""");
        await AskAsync(s, anon, """{"type":"unsubscribe","channel":"table:public.plain"}""");
        await s.SendBinaryAsync(anon, [1, 2, 3]);
        await s.SyncAsync(anon);

        s.Step("a frame over the maximum message size (65536 bytes): message_too_large, then close 1009");
        var large = await ConnectAsync(s, "large");
        var oversized = $$"""{"type":"subscribe","channel":"{{new string('x', 70_000)}}"}""";
        await s.SendAsync(large, oversized, shown: $"[a text frame of {Encoding.UTF8.GetByteCount(oversized)} bytes]");
        await s.ExpectAsync(large, 2);

        s.Step("too many channels (12 in this test): the 13th is refused and the connection stays; subscribing again to one it has is allowed");
        var greedy = await ConnectAsync(s, "greedy");
        for (var i = 1; i <= 12; i++)
            await AskAsync(s, greedy, $$"""{"type":"subscribe","channel":"room:g{{i:00}}"}""");
        await AskAsync(s, greedy, """{"type":"subscribe","channel":"table:public.products"}""");
        await AskAsync(s, greedy, """{"type":"subscribe","channel":"room:g01"}""");
        await AskAsync(s, greedy, """{"type":"heartbeat","ref":"still-here"}""");

        s.Step("auth: a new token is confirmed with auth_ok; a missing or bad one is refused and the connection keeps its token");
        await AskAsync(s, user, """{"type":"auth"}""");
        await AskAsync(s, user, """{"type":"auth","token":"not-a-jwt"}""");
        await AskAsync(s, user, $$"""{"type":"auth","token":"{{Token("user-1", expires: FarFuture.AddDays(1))}}"}""");

        s.Step("unsubscribe");
        await AskAsync(s, anon, $$"""{"type":"unsubscribe","channel":"{{Notes}}"}""");

        s.Step("disable_realtime ends a subscription with subscription_invalidated");
        await AskAsync(s, anon, """{"type":"subscribe","channel":"table:public.gadgets"}""");
        await SqlAsync(s, "SELECT disable_realtime('public', 'gadgets')");
        await s.ExpectAsync(anon, 1);

        // ---- Rooms
        s.Step("rooms: subscribe (ack with the room offset and the database_offset of its database broadcasts, presence_state)");
        await AskAsync(s, anon, $$"""{"type":"subscribe","channel":"{{Lobby}}"}""");
        await AskAsync(s, user, $$"""{"type":"subscribe","channel":"{{Lobby}}"}""");

        s.Step("database broadcasts: a committed realtime.send reaches the room's subscribers as database_broadcast with its database_offset");
        await SqlAsync(s, """SELECT realtime.send('{"n":1}'::jsonb, 'db-event', 'lobby', false)""");
        await s.ExpectAsync(anon, 1);
        await s.ExpectAsync(user, 1);

        s.Step("broadcast without self, with ack: the others get it, the sender its broadcast_ack");
        var firstMessage = (await AskAsync(s, anon, $$"""{"type":"broadcast","channel":"{{Lobby}}","event":"cursor","payload":{"x":1,"y":[2,3],"label":"ünïcode"},"self":false,"ack":true,"ref":"c1"}"""))[0];
        await s.SyncAsync(user);

        s.Step("broadcast with self, without ack: everyone gets it, the sender too");
        await AskAsync(s, user, $$"""{"type":"broadcast","channel":"{{Lobby}}","event":"chat","payload":"hello","self":true}""");
        await s.SyncAsync(anon);

        s.Step("presence: track with a key, track with the token's subject as key, update, untrack (diffs to everyone)");
        await AskAsync(s, anon, $$"""{"type":"presence","channel":"{{Lobby}}","state":{"status":"online"},"key":"anon-1"}""");
        await s.SyncAsync(user);
        await AskAsync(s, user, $$$"""{"type":"presence","channel":"{{{Lobby}}}","state":{"status":"busy"}}""");
        await s.SyncAsync(anon);
        await AskAsync(s, anon, $$"""{"type":"presence","channel":"{{Lobby}}","state":{"status":"away"},"key":"anon-1"}""");
        await s.SyncAsync(user);

        s.Step("a newcomer gets presence_state with everyone tracked; its own presence (key from the connection) reaches all");
        var carol = await ConnectAsync(s, "carol");
        await AskAsync(s, carol, $$"""{"type":"subscribe","channel":"{{Lobby}}"}""");
        await AskAsync(s, carol, $$$"""{"type":"presence","channel":"{{{Lobby}}}","state":{}}""");
        await s.SyncAsync(anon, user);

        s.Step("subscribe again with since: ack with that offset, presence_state, the messages after it");
        await AskAsync(s, carol, $$"""{"type":"subscribe","channel":"{{Lobby}}","since":"{{Field(firstMessage, "offset")}}"}""");

        s.Step("untrack (state null)");
        await AskAsync(s, anon, $$"""{"type":"presence","channel":"{{Lobby}}","state":null}""");
        await s.SyncAsync(user, carol);

        s.Step("errors of rooms");
        await AskAsync(s, anon, """{"type":"broadcast","channel":"room:elsewhere","event":"e","payload":{},"ref":"c2"}""");
        await AskAsync(s, anon, """{"type":"broadcast","channel":"room:lobby","payload":{},"ref":"c3"}""");
        await AskAsync(s, anon, """{"type":"broadcast","channel":"room:lobby","event":"big","payload":{"text":"0123456789012345678901234567890123456789012345678901234567890123456789"},"ref":"c4"}""");
        await AskAsync(s, anon, """{"type":"broadcast","channel":"table:public.products","event":"e","payload":{}}""");
        await AskAsync(s, anon, """{"type":"presence","channel":"room:lobby"}""");
        await AskAsync(s, anon, """{"type":"presence","channel":"room:elsewhere","state":{}}""");
        await AskAsync(s, anon, """{"type":"subscribe","channel":"room:bad name"}""");
        await AskAsync(s, anon, """{"type":"subscribe","channel":"room:lobby","snapshot":true}""");
        await AskAsync(s, anon, """{"type":"subscribe","channel":"room:lobby","since":"r-zz"}""");
        await AskAsync(s, anon, """{"type":"subscribe","channel":"room:lobby","since":"r00000000-0000000000000001"}""");
        await AskAsync(s, anon, """{"type":"subscribe","channel":"room:org-acme:general"}""");
        await AskAsync(s, anon, """{"type":"subscribe","channel":"room:lobby","database_since":"yesterday"}""");
        await AskAsync(s, anon, """{"type":"unsubscribe","channel":"room:elsewhere"}""");

        s.Step("unsubscribe from a room: unsubscribed, and the others see the presence leave");
        await AskAsync(s, user, $$"""{"type":"unsubscribe","channel":"{{Lobby}}"}""");
        await s.SyncAsync(anon, carol);

        s.Step("a client closes: the server answers the close; the others see its presence leave");
        await s.CloseAsync(carol, WebSocketCloseStatus.NormalClosure, "bye");
        await s.ExpectAsync(carol, 1);
        await s.ExpectAsync(anon, 1);

        s.Step("the end: nothing else was queued to anyone");
        await s.SyncAllAsync();
    }
}
