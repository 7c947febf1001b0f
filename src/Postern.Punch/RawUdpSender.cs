using System.Net;
using System.Net.Sockets;
using Postern.Hosting;
using Postern.Interop;
using Postern.Wire;

namespace Postern.Punch;

/// <summary>Sends one IPv4 UDP datagram with a source port no socket of ours holds: postern-punch
/// register speaks from the WireGuard interface's listen port, which WireGuard has bound, so that
/// the reflector sees (and publishes) the NAT mapping WireGuard's own packets use. A raw socket
/// with IP_HDRINCL and the header written by <see cref="UdpPacketWriter"/>; needs CAP_NET_RAW, as
/// `wg` needs CAP_NET_ADMIN. The kernel tracks the datagram as it would WireGuard's.</summary>
public sealed unsafe class RawUdpSender : IDisposable
{
    private readonly FdHandle _handle;

    private RawUdpSender(FdHandle handle) => _handle = handle;

    public static RawUdpSender Open()
    {
        int error = Sockets.OpenRaw(4, 0, 0, out FdHandle handle);
        if (error != 0)
        {
            throw new IOException(error == Errno.EPERM || error == Errno.EACCES
                ? "register sends from the WireGuard port through a raw socket: run it as root (or with CAP_NET_RAW)"
                : $"cannot open a raw socket: {Errno.Describe(error)}");
        }
        return new RawUdpSender(handle);
    }

    /// <summary>The local address the kernel would send from to <paramref name="destination"/>
    /// (a connected UDP socket's, no datagram sent).</summary>
    public static IPAddress SourceFor(IPEndPoint destination)
    {
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        probe.Connect(destination);
        return ((IPEndPoint)probe.LocalEndPoint!).Address;
    }

    public void Send(IPAddress source, ushort sourcePort, IPEndPoint destination, ReadOnlySpan<byte> payload)
    {
        if (source.AddressFamily != AddressFamily.InterNetwork || destination.AddressFamily != AddressFamily.InterNetwork)
        {
            throw new ArgumentException("register speaks IPv4 only");
        }
        int headers = UdpPacketWriter.HeaderLength(4);
        byte[] packet = new byte[headers + payload.Length];
        payload.CopyTo(packet.AsSpan(headers));
        int length = UdpPacketWriter.WriteHeaders(packet, 4, source.GetAddressBytes(), destination.Address.GetAddressBytes(),
            sourcePort, (ushort)destination.Port, payload.Length);
        var datagram = new RawDatagram { Offset = 0, Length = length };
        int sent;
        int error;
        fixed (byte* buffer = packet)
        {
            error = Interop.Interop.RawSendBatch(_handle.Value, buffer, packet.Length, &datagram, 1, out sent);
        }
        if (error != 0 || sent != 1)
        {
            int why = error != 0 ? error : datagram.Error;
            throw new IOException($"cannot send the register datagram to {Endpoints.Format(destination)}: {Errno.Describe(why)}");
        }
    }

    public void Dispose() => _handle.Dispose();
}
