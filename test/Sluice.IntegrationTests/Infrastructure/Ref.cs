namespace Sluice.IntegrationTests.Infrastructure;

/// <summary>A mutable holder, for a buffer an async method may replace.</summary>
public sealed class Ref<T>(T value)
{
    public T Value { get; set; } = value;
}
