using System.Net;
using System.Runtime.InteropServices;

namespace Sluice.Server.Limits;

/// <summary>
/// Counts open connections per client IP address and refuses one more than the limit. Acquiring and releasing take
/// one lock, so the count is exact under concurrency; an address whose count returns to zero is forgotten. IPv4
/// addresses mapped to IPv6 count as the IPv4 address. A connection without an IP address (a Unix socket, an
/// in-memory test server) is not counted.
/// </summary>
internal sealed class AddressConnectionCounter
{
    private readonly Lock _gate = new();
    private readonly Dictionary<IPAddress, int> _counts = [];

    public AddressConnectionCounter(int maxPerAddress)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxPerAddress, 1);
        Limit = maxPerAddress;
    }

    /// <summary>Most connections per address.</summary>
    public int Limit { get; }

    /// <summary>Addresses with at least one open connection.</summary>
    public int AddressCount
    {
        get
        {
            lock (_gate)
                return _counts.Count;
        }
    }

    /// <summary>Open connections counted for <paramref name="address"/>.</summary>
    public int CountOf(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        lock (_gate)
            return _counts.GetValueOrDefault(Normalize(address));
    }

    /// <summary>
    /// Counts a new connection from <paramref name="address"/>: a lease to dispose when the connection ends, or null
    /// (nothing counted) when the address already has <see cref="Limit"/> connections.
    /// </summary>
    public AddressLease? TryAcquire(IPAddress? address)
    {
        if (address is null)
            return new AddressLease(null, null);
        address = Normalize(address);
        lock (_gate)
        {
            ref var count = ref CollectionsMarshal.GetValueRefOrAddDefault(_counts, address, out _);
            if (count >= Limit)
                return null;
            count++;
        }
        return new AddressLease(this, address);
    }

    internal void Release(IPAddress address)
    {
        lock (_gate)
        {
            ref var count = ref CollectionsMarshal.GetValueRefOrNullRef(_counts, address);
            if (System.Runtime.CompilerServices.Unsafe.IsNullRef(ref count))
                throw new InvalidOperationException("released a connection that was not counted");
            if (--count == 0)
                _counts.Remove(address);
        }
    }

    private static IPAddress Normalize(IPAddress address) => address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
}
