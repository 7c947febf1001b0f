using System.Net;
using System.Net.Sockets;

namespace Postern.Socks;

/// <summary>A name a client's datagram is addressed to, looked up off the relay thread.</summary>
internal static class NameLookup
{
    /// <summary>Resolves <paramref name="name"/> on the thread pool and calls
    /// <paramref name="done"/> with its first IPv4 address (else IPv6 unless
    /// <paramref name="ipv4Only"/>), or null.</summary>
    public static void Start(string name, bool ipv4Only, Action<IPAddress?> done) => _ = Task.Run(async () =>
    {
        IPAddress? found = null;
        try
        {
            IPAddress[] addresses = await Dns.GetHostAddressesAsync(name).ConfigureAwait(false);
            found = Array.Find(addresses, a => a.AddressFamily == AddressFamily.InterNetwork)
                ?? (ipv4Only ? null : Array.Find(addresses, a => a.AddressFamily == AddressFamily.InterNetworkV6));
        }
        catch (Exception e) when (e is SocketException or ArgumentException)
        {
        }
        done(found);
    });
}
