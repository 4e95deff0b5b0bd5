namespace Sluice.Server.Http;

/// <summary>Applies a convention to every part <see cref="SluiceEndpointRouteBuilderExtensions.MapSluice"/> mapped.</summary>
internal sealed class CompositeEndpointConventionBuilder(IReadOnlyList<IEndpointConventionBuilder> parts) : IEndpointConventionBuilder
{
    public void Add(Action<EndpointBuilder> convention)
    {
        foreach (var part in parts)
            part.Add(convention);
    }

    public void Finally(Action<EndpointBuilder> finallyConvention)
    {
        foreach (var part in parts)
            part.Finally(finallyConvention);
    }
}
