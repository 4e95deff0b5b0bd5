using System.Net;

namespace Sluice.Server.Limits;

/// <summary>One connection counted by <see cref="AddressConnectionCounter"/>; disposing it (once or more) releases the count once.</summary>
internal sealed class AddressLease : IDisposable
{
    private AddressConnectionCounter? _owner;

    internal AddressLease(AddressConnectionCounter? owner, IPAddress? address)
    {
        _owner = owner;
        Address = address;
    }

    /// <summary>The counted address; null when the connection has none and is not counted.</summary>
    public IPAddress? Address { get; }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _owner, null) is { } owner)
            owner.Release(Address!);
    }
}
