using System.Diagnostics;
using System.Net;
using Postern.Interop;

namespace Postern.Socks;

/// <summary>One UDP ASSOCIATE: the client-side socket (BND.PORT, which takes datagrams only from
/// the TCP peer's address), the remote-side socket (which sends to remote peers and takes their
/// answers, from anyone: to them the relay is an endpoint-independent mapping), and the client's
/// UDP port, learned from its first datagram because behind NAT the client cannot know it. It
/// is owned by one <see cref="UdpRelay"/> thread from the moment it is added.</summary>
public sealed class UdpAssociation
{
    public const int MaxNames = 8;

    private readonly byte[] _clientAddress = new byte[16];
    private Action<bool>? _ended;

    public UdpAssociation(UdpSocket client, UdpSocket remote, IPAddress clientAddress, string user, Action<bool> ended)
    {
        Client = client;
        Remote = remote;
        User = user;
        _ended = ended;
        IPAddress mapped = clientAddress.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? clientAddress.MapToIPv6() : clientAddress;
        mapped.TryWriteBytes(_clientAddress, out _);
        ClientFamily = (byte)(mapped.IsIPv4MappedToIPv6 ? 4 : 6);
        LastActivity = Stopwatch.GetTimestamp();
    }

    public UdpSocket Client { get; }

    public UdpSocket Remote { get; }

    public string User { get; }

    /// <summary>The TCP peer's address, 16 bytes, IPv4 in mapped form (as the shim reports sources).</summary>
    public ReadOnlySpan<byte> ClientAddress => _clientAddress;

    public byte ClientFamily { get; }

    /// <summary>0 until the client's first datagram; then where every reply goes.</summary>
    public ushort ClientPort { get; set; }

    public long LastActivity { get; set; }

    /// <summary>The relay thread's slot, -1 when not registered.</summary>
    internal int Slot { get; set; } = -1;

    internal bool IsClosed { get; private set; }

    internal NameEntry[] Names { get; } = new NameEntry[MaxNames];

    internal int NameCount { get; set; }

    /// <summary>Called once by the relay thread: closes the sockets and tells the session
    /// (<paramref name="idle"/>: the idle timeout ended it, so the TCP connection must close too).</summary>
    internal void End(bool idle)
    {
        if (IsClosed)
        {
            return;
        }
        IsClosed = true;
        Client.Dispose();
        Remote.Dispose();
        Action<bool>? ended = Interlocked.Exchange(ref _ended, null);
        try
        {
            ended?.Invoke(idle);
        }
        catch (Exception e)
        {
            // Runs on the relay thread, which must outlive any one session's failure.
            Postern.Hosting.Log.Error("udp relay: ending a session's association failed: " + e.Message);
        }
    }

    /// <summary>A name a datagram was addressed to, resolved once and kept for a minute.</summary>
    internal sealed class NameEntry
    {
        public required byte[] Name { get; init; }

        public byte[] Address { get; } = new byte[16];

        public byte Family { get; set; }

        /// <summary>0 pending, 1 resolved, 2 failed.</summary>
        public int State { get; set; }

        public long Expires { get; set; }
    }
}
