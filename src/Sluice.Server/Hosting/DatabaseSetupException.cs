namespace Sluice.Server.Hosting;

/// <summary>The database could not be reached or prepared (SQL API, publication, slot).</summary>
public sealed class DatabaseSetupException(string message, Exception innerException) : Exception(message, innerException);
