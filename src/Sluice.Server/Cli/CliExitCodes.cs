namespace Sluice.Server.Cli;

/// <summary>Exit codes of the client commands (<c>status</c>, <c>tables</c>, <c>enable</c>, <c>disable</c>, <c>tail</c>).</summary>
internal static class CliExitCodes
{
    public const int Ok = 0;

    /// <summary>The server answered with an error, or <c>status</c> found capture not streaming.</summary>
    public const int Failed = 1;

    /// <summary>Bad arguments.</summary>
    public const int Usage = 2;

    /// <summary>The server could not be reached.</summary>
    public const int Unreachable = 3;

    /// <summary>The server is up but cannot reach its database.</summary>
    public const int DatabaseUnavailable = 4;

    /// <summary>The admin token is missing or wrong.</summary>
    public const int Unauthorized = 5;
}
