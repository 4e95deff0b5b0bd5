using Sluice.Server.Auth;

namespace Sluice.Server.Rooms;

/// <summary>Checks <see cref="RoomOptions"/> at start-up and explains every problem in terms of the setting to fix.</summary>
internal static class RoomOptionsValidator
{
    public static IReadOnlyList<string> Validate(RoomOptions options)
    {
        var failures = new List<string>();
        if (options.HistoryMessages is < 0 or > 1_000_000)
            failures.Add("Sluice:Rooms:HistoryMessages must be between 0 and 1000000.");
        if (options.HistoryAge < TimeSpan.FromSeconds(1) || options.HistoryAge > TimeSpan.FromDays(1))
            failures.Add("Sluice:Rooms:HistoryAge must be between 00:00:01 and 1.00:00:00.");
        if (options.MaxPayloadBytes is < 16 or > 64 * 1024 * 1024)
            failures.Add("Sluice:Rooms:MaxPayloadBytes must be between 16 and 67108864.");
        if (options.MaxPresenceStateBytes is < 16 or > 64 * 1024 * 1024)
            failures.Add("Sluice:Rooms:MaxPresenceStateBytes must be between 16 and 67108864.");
        if (options.MaxHttpBodyBytes is < 1024 or > 256 * 1024 * 1024)
            failures.Add("Sluice:Rooms:MaxHttpBodyBytes must be between 1024 and 268435456.");
        if (!RoleName.IsSafe(options.ServiceRole))
            failures.Add($"Sluice:Rooms:ServiceRole must be a role name of {RoleName.Rule}.");
        for (var i = 0; i < options.Private.Count; i++)
        {
            var rule = options.Private[i];
            if (string.IsNullOrEmpty(rule.Pattern))
                failures.Add($"Sluice:Rooms:Private:{i}:Pattern is missing; give a room name pattern such as org-{{organization_id}}:*.");
            else if (!RoomPattern.TryParse(rule.Pattern, out _, out var error))
                failures.Add($"Sluice:Rooms:Private:{i}:Pattern \"{rule.Pattern}\" is invalid: {error}.");
            if (!TryParseActions(rule.Actions, out _, out var actionError))
                failures.Add($"Sluice:Rooms:Private:{i}:Actions: {actionError}.");
        }
        return failures;
    }

    /// <summary>Parses a rule's action names; an empty list means all actions.</summary>
    public static bool TryParseActions(IReadOnlyList<string> names, out RoomActions actions, out string? error)
    {
        actions = RoomActions.None;
        foreach (var name in names)
        {
            var action = name.Trim().ToLowerInvariant() switch
            {
                "subscribe" => RoomActions.Subscribe,
                "publish" => RoomActions.Publish,
                "presence" => RoomActions.Presence,
                _ => RoomActions.None,
            };
            if (action == RoomActions.None)
            {
                error = $"unknown action \"{name}\"; use subscribe, publish or presence";
                return false;
            }
            actions |= action;
        }
        if (actions == RoomActions.None)
            actions = RoomActions.All;
        error = null;
        return true;
    }
}
