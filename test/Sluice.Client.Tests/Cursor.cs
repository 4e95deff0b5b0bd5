namespace Sluice.Client.Tests;

public sealed record Cursor(int X, int Y);

public sealed record Member(string Name, string Status);
