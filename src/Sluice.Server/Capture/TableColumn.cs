namespace Sluice.Server.Capture;

/// <summary>One column of a captured table.</summary>
public sealed record TableColumn(string Name, ColumnType Type, bool IsKey);
