using System.Buffers.Binary;
using System.Net;
using Postern.Wire;

using Postern.Wire.Tests;

namespace Postern.Aaaa.Tests;

/// <summary>Whole IPv4 and IPv6 UDP datagrams around DNS messages, as NFQUEUE hands them over:
/// from a client's port to port 53 of the server.</summary>
public static class QueryPackets
{
    public const ushort ClientPort = 40000;
    public const ushort ServerPort = 53;

    public static readonly byte[] ClientV4 = IPAddress.Parse("192.0.2.10").GetAddressBytes();
    public static readonly byte[] ServerV4 = IPAddress.Parse("198.51.100.53").GetAddressBytes();
    public static readonly byte[] ClientV6 = IPAddress.Parse("2001:db8:1:2::10").GetAddressBytes();
    public static readonly byte[] ServerV6 = IPAddress.Parse("2001:db8:ffff::53").GetAddressBytes();

    public static byte[] Client(int ipVersion) => ipVersion == 4 ? ClientV4 : ClientV6;

    public static byte[] Server(int ipVersion) => ipVersion == 4 ? ServerV4 : ServerV6;

    public static byte[] Wrap(int ipVersion, byte[] message) => Wrap(ipVersion, message, Client(ipVersion));

    public static byte[] Wrap(int ipVersion, byte[] message, string client) =>
        Wrap(ipVersion, message, IPAddress.Parse(client).GetAddressBytes());

    public static byte[] Wrap(int ipVersion, byte[] message, byte[] client)
    {
        int headerLength = UdpPacketWriter.HeaderLength(ipVersion);
        var packet = new byte[headerLength + message.Length];
        message.CopyTo(packet, headerLength);
        UdpPacketWriter.WriteHeaders(packet, ipVersion, client, Server(ipVersion), ClientPort, ServerPort, message.Length);
        return packet;
    }

    /// <summary>A copy of a DNS message with its 16-bit flags word replaced.</summary>
    public static byte[] WithFlags(byte[] message, ushort flags)
    {
        byte[] copy = (byte[])message.Clone();
        BinaryPrimitives.WriteUInt16BigEndian(copy.AsSpan(2), flags);
        return copy;
    }

    /// <summary>An IPv4 packet with a new value in its flags-and-fragment-offset word (RFC 791),
    /// the header checksum kept right.</summary>
    public static byte[] WithIpv4Fragment(byte[] packet, ushort flagsAndOffset)
    {
        byte[] copy = (byte[])packet.Clone();
        BinaryPrimitives.WriteUInt16BigEndian(copy.AsSpan(6), flagsAndOffset);
        RefreshIpv4Checksum(copy);
        return copy;
    }

    /// <summary>A packet whose protocol (IPv4) or next header (IPv6) is replaced.</summary>
    public static byte[] WithProtocol(byte[] packet, byte protocol)
    {
        byte[] copy = (byte[])packet.Clone();
        if (copy[0] >> 4 == 4)
        {
            copy[9] = protocol;
            RefreshIpv4Checksum(copy);
        }
        else
        {
            copy[6] = protocol;
        }
        return copy;
    }

    private static void RefreshIpv4Checksum(byte[] packet)
    {
        packet[10] = 0;
        packet[11] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(10), ReferenceChecksum.Compute(packet.AsSpan(0, 20)));
    }
}
