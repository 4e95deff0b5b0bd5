namespace Sluice.Protocol;

/// <summary>A frame sent by a client on the native protocol.</summary>
public sealed class ClientMessage
{
    /// <summary>The frame type, e.g. <see cref="FrameTypes.Subscribe"/>.</summary>
    public required string Type { get; init; }

    /// <summary>The channel, e.g. <c>table:public.products</c>.</summary>
    public string? Channel { get; init; }

    /// <summary>The change types wanted; null means all.</summary>
    public ChangeEvents? Events { get; init; }

    /// <summary>A row filter such as <c>id=eq.5</c>; null means every row.</summary>
    public string? Filter { get; init; }

    /// <summary>Resume after this offset.</summary>
    public string? Since { get; init; }

    /// <summary>Send the current rows before live changes.</summary>
    public bool Snapshot { get; init; }

    /// <summary>A JWT, carried by <see cref="FrameTypes.Auth"/> frames.</summary>
    public string? Token { get; init; }
}
