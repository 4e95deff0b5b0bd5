using Sluice.Server.Auth;
using Sluice.Server.RowSecurity;

namespace Sluice.Server.Rooms;

/// <summary>
/// Decides what a connection may do on a private topic (a Supabase channel joined with <c>config.private: true</c>). The
/// private-room rules (<c>Sluice:Rooms:Private</c>, <see cref="RoomAccess"/>) come first: on a topic some rule covers (for
/// any action), the rules decide every action, as they always have (<see cref="RoomAccess.IsGranted"/>: an action needs a
/// rule that grants it). The service role passes. On a topic no rule covers, the row-level security policies on
/// <c>realtime.messages</c> decide, as Supabase's Realtime Authorization does (<see cref="TopicPolicyProbe"/>). Fails closed:
/// a probe that fails throws <see cref="TopicProbeException"/>, which callers turn into a refusal.
/// </summary>
/// <remarks>
/// Where a private channel's messages go follows the same split (<see cref="RoomOf"/>): a topic a rule covers is the room of
/// that name, shared with public and native members, whom the same rule guards; a topic left to the policies is a room of its
/// own, which no public channel or native client can join, as Supabase keeps private and public topics apart.
/// </remarks>
internal sealed class PrivateTopicAuthorization(RoomRegistry rooms, TopicPolicyProbe policies)
{
    /// <summary>Prefix of the rooms of private topics left to the policies; '/' is not a room-name character, so no other room has it.</summary>
    public const string PolicyRoomPrefix = "private/";

    private RoomAccess Rules => rooms.Access;

    /// <summary>The room a private channel of <paramref name="topic"/> joins.</summary>
    public string RoomOf(string topic) => RuledByRules(topic) ? topic : PolicyRoomPrefix + topic;

    /// <summary>Whether a private-room rule covers <paramref name="topic"/> for some action: then the rules decide it, not the policies.</summary>
    private bool RuledByRules(string topic) => Rules.Covers(topic, RoomActions.All);

    /// <summary>
    /// What <paramref name="identity"/> may read on <paramref name="topic"/> (presence probed only when <paramref name="presence"/>);
    /// <paramref name="headersJson"/> is the request's <c>x-*</c> headers as a JSON object, for policies that read <c>request.headers</c>.
    /// </summary>
    public async Task<TopicReadAccess> ReadAsync(ConnectionIdentity identity, string topic, bool presence, string headersJson, CancellationToken cancellationToken)
    {
        if (Rules.IsServiceRole(identity))
            return new TopicReadAccess(true, true);
        if (RuledByRules(topic))
        {
            var granted = Rules.IsGranted(identity, topic, RoomActions.Subscribe);
            return new TopicReadAccess(granted, granted);
        }
        return await policies.ReadAsync(identity, topic, presence, headersJson, cancellationToken);
    }

    /// <summary>Whether <paramref name="identity"/> may send (broadcast) or track (presence) on <paramref name="topic"/>, and whether a rule said so.</summary>
    public async Task<TopicWriteDecision> WriteAsync(ConnectionIdentity identity, string topic, TopicExtension extension, string headersJson,
        CancellationToken cancellationToken)
    {
        var action = extension == TopicExtension.Broadcast ? RoomActions.Publish : RoomActions.Presence;
        if (Rules.IsServiceRole(identity))
            return new TopicWriteDecision(true, ByRule: true);
        if (RuledByRules(topic))
            return new TopicWriteDecision(Rules.IsGranted(identity, topic, action), ByRule: true);
        return new TopicWriteDecision(await policies.WriteAsync(identity, topic, extension, headersJson, cancellationToken), ByRule: false);
    }
}

/// <summary>A write decision on a private topic: <paramref name="ByRule"/> when a private-room rule (or the service role) made it, else the policies.</summary>
internal readonly record struct TopicWriteDecision(bool Allowed, bool ByRule);
