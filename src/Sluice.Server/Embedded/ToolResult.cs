namespace Sluice.Server.Embedded;

/// <summary>Exit code and combined stdout/stderr of one finished command.</summary>
internal readonly record struct ToolResult(int ExitCode, string Output)
{
    public bool Succeeded => ExitCode == 0;
}
