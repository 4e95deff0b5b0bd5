using Sluice.Server.Rooms;

namespace Sluice.Tests.Rooms;

public sealed class RoomOptionsValidatorTests
{
    [Fact]
    public void The_defaults_are_valid() => Assert.Empty(RoomOptionsValidator.Validate(new RoomOptions()));

    [Fact]
    public void Every_problem_names_its_setting()
    {
        var failures = RoomOptionsValidator.Validate(new RoomOptions
        {
            HistoryMessages = -1,
            HistoryAge = TimeSpan.Zero,
            MaxPayloadBytes = 0,
            MaxPresenceStateBytes = 0,
            MaxHttpBodyBytes = 0,
            ServiceRole = "bad role",
            Private =
            [
                new PrivateRoomRule(),
                new PrivateRoomRule { Pattern = "org-{" },
                new PrivateRoomRule { Pattern = "ok", Actions = ["read"] },
            ],
        });
        foreach (var setting in new[]
        {
            "HistoryMessages", "HistoryAge", "MaxPayloadBytes", "MaxPresenceStateBytes", "MaxHttpBodyBytes", "ServiceRole",
            "Private:0:Pattern", "Private:1:Pattern", "Private:2:Actions",
        })
            Assert.Contains(failures, f => f.Contains("Sluice:Rooms:" + setting, StringComparison.Ordinal));
    }

    [Fact]
    public void Actions_default_to_all_three()
    {
        Assert.True(RoomOptionsValidator.TryParseActions([], out var all, out _));
        Assert.Equal(RoomActions.All, all);
        Assert.True(RoomOptionsValidator.TryParseActions(["Publish", " presence "], out var some, out _));
        Assert.Equal(RoomActions.Publish | RoomActions.Presence, some);
    }
}
