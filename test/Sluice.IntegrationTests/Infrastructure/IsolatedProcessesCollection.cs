namespace Sluice.IntegrationTests.Infrastructure;

/// <summary>
/// A second collection, with a PostgreSQL cluster of its own, for the test classes that spend most of their time in
/// child processes or waiting on them (server processes killed and restarted, Redis clusters, Node and Chromium,
/// chaos runs). xUnit runs collections side by side, so these run alongside the in-process tests of
/// <see cref="PostgresCollection"/> instead of after them; tests within each collection still run one at a time.
/// Nothing here may depend on the other collection's timing: both share only the machine.
/// </summary>
[CollectionDefinition(Name)]
public sealed class IsolatedProcessesCollection : ICollectionFixture<PostgresFixture>
{
    public const string Name = "postgres-processes";
}
