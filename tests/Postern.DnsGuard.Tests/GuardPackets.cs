using System.Buffers.Binary;
using System.Net;
using System.Text;
using Postern.Interop;
using Postern.Wire;

namespace Postern.DnsGuard.Tests;

/// <summary>Whole IPv4/IPv6 UDP datagrams as NFQUEUE hands them to the guard: queries from a
/// client port to port 53, answers back, with a chosen IP TTL, OPT record and answer address.</summary>
public static class GuardPackets
{
    public const ushort ClientPort = 40000;
    public const string ClientV4 = "192.0.2.10";
    public const string ServerV4 = "198.51.100.53";
    public const string ClientV6 = "2001:db8:1::10";
    public const string ServerV6 = "2001:db8:2::53";

    /// <summary>A query for A over IPv4 and for AAAA over IPv6 unless <paramref name="type"/> says.</summary>
    public static byte[] Query(string name, ushort id, bool opt, int ipVersion = 4, ushort? type = null) =>
        Wrap(ipVersion, Message(name, id, response: false, opt, type ?? (ipVersion == 4 ? DnsType.A : DnsType.AAAA), Array.Empty<byte[]>()), toServer: true, ttl: 64);

    public static byte[] Answer(string name, ushort id, int ttl, bool opt, string address, int ipVersion = 4, string? server = null)
    {
        byte[] rdata = IPAddress.Parse(address).GetAddressBytes();
        ushort type = rdata.Length == 4 ? DnsType.A : DnsType.AAAA;
        return Wrap(ipVersion, Message(name, id, response: true, opt, type, new[] { rdata }), toServer: false, ttl, server);
    }

    public static byte[] Message(string name, ushort id, bool response, bool opt, ushort type, byte[][] addresses)
    {
        var m = new List<byte>();
        void U16(int v)
        {
            m.Add((byte)(v >> 8));
            m.Add((byte)v);
        }
        U16(id);
        U16(response ? 0x8180 : 0x0100);
        U16(1);
        U16(addresses.Length);
        U16(0);
        U16(opt ? 1 : 0);
        foreach (string label in name.Split('.'))
        {
            m.Add((byte)label.Length);
            m.AddRange(Encoding.ASCII.GetBytes(label));
        }
        m.Add(0);
        U16(type);
        U16(1);
        foreach (byte[] rdata in addresses)
        {
            U16(0xC00C);
            U16(rdata.Length == 4 ? DnsType.A : DnsType.AAAA);
            U16(1);
            U16(0);
            U16(300);
            U16(rdata.Length);
            m.AddRange(rdata);
        }
        if (opt)
        {
            m.Add(0);
            U16(DnsType.OPT);
            U16(1232);
            U16(0);
            U16(0);
            U16(0);
        }
        return m.ToArray();
    }

    public static byte[] Wrap(int ipVersion, byte[] message, bool toServer, int ttl, string? server = null)
    {
        byte[] client = IPAddress.Parse(ipVersion == 4 ? ClientV4 : ClientV6).GetAddressBytes();
        byte[] serverBytes = IPAddress.Parse(server ?? (ipVersion == 4 ? ServerV4 : ServerV6)).GetAddressBytes();
        int header = UdpPacketWriter.HeaderLength(ipVersion);
        var packet = new byte[header + message.Length];
        message.CopyTo(packet, header);
        if (toServer)
        {
            UdpPacketWriter.WriteHeaders(packet, ipVersion, client, serverBytes, ClientPort, 53, message.Length);
        }
        else
        {
            UdpPacketWriter.WriteHeaders(packet, ipVersion, serverBytes, client, 53, ClientPort, message.Length);
        }
        packet[ipVersion == 4 ? 8 : 7] = (byte)ttl;
        return packet;
    }
}

/// <summary>Feeds packets one batch at a time, as the queue loop would, with a clock the test moves.</summary>
public sealed class GuardDriver
{
    private uint _nextId = 1;

    public GuardDriver(DnsGuardOptions? options = null)
    {
        Guard = new AnswerGuard(options ?? new DnsGuardOptions(), () => Now);
    }

    public AnswerGuard Guard { get; }

    /// <summary>Microseconds.</summary>
    public long Now { get; set; } = 1_000_000;

    public uint LastId { get; private set; }

    public byte Feed(byte[] packet)
    {
        LastId = _nextId++;
        var descriptor = new NfqPacket { PacketId = LastId, PayloadOffset = 0, PayloadLength = packet.Length, OriginalLength = (uint)packet.Length };
        byte[] verdicts = { Interop.Interop.NF_ACCEPT };
        Guard.Handle(packet, new[] { descriptor }, verdicts);
        return verdicts[0];
    }

    public List<(uint Id, byte Verdict)> TakeDue(bool releaseAll = false)
    {
        var result = new List<(uint, byte)>();
        var ids = new uint[4];
        var verdicts = new byte[4];
        while (true)
        {
            int n = Guard.TakeDue(releaseAll, ids, verdicts);
            for (int i = 0; i < n; i++)
            {
                result.Add((ids[i], verdicts[i]));
            }
            if (n < ids.Length)
            {
                return result;
            }
        }
    }

    /// <summary>Teaches the guard a server's profile: queries answered after rttMs with the given
    /// TTL, each held (unlearned) and released at the end of its window.</summary>
    public void Learn(int ttl, int rttMs, int count = ServerProfile.SamplesToLearn, int ipVersion = 4, bool opt = false) =>
        LearnMicroseconds(ttl, rttMs * 1000L, count, ipVersion, opt);

    public void LearnMicroseconds(int ttl, long rttMicroseconds, int count = ServerProfile.SamplesToLearn, int ipVersion = 4, bool opt = false)
    {
        for (int i = 0; i < count; i++)
        {
            ushort id = (ushort)(60000 + i);
            Feed(GuardPackets.Query($"learn{i}.example.test", id, opt, ipVersion));
            Now += rttMicroseconds;
            Feed(GuardPackets.Answer($"learn{i}.example.test", id, ttl, opt, ipVersion == 4 ? "192.0.2.80" : "2001:db8::80", ipVersion));
            Now += 10_000_000;
            TakeDue();
        }
    }
}
