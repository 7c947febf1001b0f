using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Postern.Wire;

namespace Postern.Punch;

/// <summary>postern-punch connect --resolve: the endpoint a peer registered, from the DNS-SD
/// records a reflector with --dns-sd publishes (wgsd's names: the SRV of
/// &lt;base32 key&gt;._wireguard._udp.ZONE gives the port and target, the target's A/AAAA the
/// address, from the additional section or asked for). A small query of our own over UDP, read
/// with Postern.Wire's DNS reader, and not ARSoft.Tools.Net's client (which the reflector serves
/// with): the client would add about 1.2 MB to postern-punch and take it over the 5 MiB the arm64
/// binaries are held to, for three queries. A truncated answer (more than 512 bytes: not one SRV
/// with its A and TXT) is an error, not retried over TCP.</summary>
public sealed class DnsSdResolver
{
    private const ushort TypeA = 1;
    private const ushort TypeSrv = 33;
    private const ushort TypeAaaa = 28;
    private const int Attempts = 3;
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(2);

    private readonly IPEndPoint _server;

    /// <param name="server">The DNS server to ask; null for the first nameserver of /etc/resolv.conf.</param>
    public DnsSdResolver(IPEndPoint? server) => _server = server ?? SystemServer();

    /// <summary>&lt;base32 key&gt;._wireguard._udp.ZONE, lower case.</summary>
    public static string InstanceName(string zone, ReadOnlySpan<byte> key) =>
        WireGuardRegister.Base32Label(key) + "._wireguard._udp." + zone.TrimEnd('.').ToLowerInvariant();

    /// <summary>The peer's endpoint; an <see cref="IOException"/> says why there is none.</summary>
    public IPEndPoint Resolve(string zone, ReadOnlySpan<byte> key)
    {
        string name = InstanceName(zone, key);
        byte[] answer = Ask(name, TypeSrv);
        if (!FindSrv(answer, name, out ushort port, out string target))
        {
            throw new IOException($"{name} has no SRV record ({Rcode(answer)}): has the peer run postern-punch register?");
        }
        IPAddress? address = FindAddress(answer, target)
                             ?? FindAddress(Ask(target, TypeA), target)
                             ?? FindAddress(Ask(target, TypeAaaa), target)
                             ?? throw new IOException($"{target} has no A or AAAA record");
        return new IPEndPoint(address, port);
    }

    private static bool FindSrv(byte[] message, string name, out ushort port, out string target)
    {
        port = 0;
        target = "";
        foreach ((string owner, ushort type, int data, int length) in Records(message))
        {
            if (type == TypeSrv && owner == name && length >= 7)
            {
                port = BinaryPrimitives.ReadUInt16BigEndian(message.AsSpan(data + 4));
                target = NameAt(message, data + 6) ?? "";
                return target.Length > 0;
            }
        }
        return false;
    }

    private static IPAddress? FindAddress(byte[] message, string target)
    {
        foreach ((string owner, ushort type, int data, int length) in Records(message))
        {
            if (owner == target && ((type == TypeA && length == 4) || (type == TypeAaaa && length == 16)))
            {
                return new IPAddress(message.AsSpan(data, length));
            }
        }
        return null;
    }

    /// <summary>Every record of the answer, additional and authority sections (RFC 1035 section
    /// 4.1): owner name (lower case), type, and where its data is.</summary>
    private static List<(string Owner, ushort Type, int Data, int Length)> Records(byte[] message)
    {
        var records = new List<(string, ushort, int, int)>();
        DnsHeader.TryRead(message, out DnsHeader header);
        var reader = new DnsReader(message);
        for (int i = 0; i < header.QuestionCount; i++)
        {
            if (!reader.TryReadQuestion(out _, out _, out _))
            {
                throw new IOException("a malformed DNS answer");
            }
        }
        int count = header.AnswerCount + header.AuthorityCount + header.AdditionalCount;
        for (int i = 0; i < count; i++)
        {
            int owner = reader.Position;
            if (!reader.TryReadRecord(out ushort type, out _, out _, out int data, out int length))
            {
                throw new IOException("a malformed DNS answer");
            }
            records.Add((NameAt(message, owner) ?? "", type, data, length));
        }
        return records;
    }

    private static string? NameAt(byte[] message, int offset)
    {
        Span<char> name = stackalloc char[DnsReader.MaxNameLength];
        int length = DnsReader.ReadLowerCaseName(message, offset, name);
        return length < 0 ? null : name.Slice(0, length).ToString();
    }

    private static string Rcode(byte[] message) =>
        DnsHeader.TryRead(message, out DnsHeader header) ? (header.Flags & DnsHeader.RcodeMask) switch
        {
            0 => "NOERROR",
            2 => "SERVFAIL",
            3 => "NXDOMAIN",
            5 => "REFUSED",
            int other => "RCODE " + other.ToString(CultureInfo.InvariantCulture),
        } : "no header";

    /// <summary>One question over UDP, asked up to three times; the answer must echo the ID and the
    /// question.</summary>
    private byte[] Ask(string name, ushort type)
    {
        byte[] query = Query(name, type, out ushort id);
        using var socket = new Socket(_server.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        socket.Connect(_server);
        byte[] buffer = new byte[4096];
        for (int attempt = 0; attempt < Attempts; attempt++)
        {
            socket.Send(query);
            var deadline = DateTime.UtcNow + s_timeout;
            while (DateTime.UtcNow < deadline)
            {
                if (!socket.Poll((int)Math.Max(1, (deadline - DateTime.UtcNow).TotalMicroseconds), SelectMode.SelectRead))
                {
                    break;
                }
                int received;
                try
                {
                    received = socket.Receive(buffer);
                }
                catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionRefused)
                {
                    throw new IOException($"nothing answers DNS at {Endpoints.Format(_server)}");
                }
                if (received < DnsHeader.Length || !DnsHeader.TryRead(buffer, out DnsHeader header) || header.Id != id ||
                    !header.IsResponse || !buffer.AsSpan(DnsHeader.Length, query.Length - DnsHeader.Length)
                        .SequenceEqual(query.AsSpan(DnsHeader.Length)) && !SameQuestion(buffer, received, query))
                {
                    continue;
                }
                if ((header.Flags & DnsHeader.FlagTC) != 0)
                {
                    throw new IOException($"the answer for {name} was truncated (more records than one UDP answer holds)");
                }
                return buffer.AsSpan(0, received).ToArray();
            }
        }
        throw new IOException($"no DNS answer for {name} from {Endpoints.Format(_server)} within {Attempts * s_timeout.TotalSeconds:0} s");
    }

    /// <summary>The question echoed, names compared case-insensitively (a server may answer with the
    /// case it stores, or 0x20-mixed).</summary>
    private static bool SameQuestion(byte[] answer, int length, byte[] query)
    {
        int questionLength = query.Length - DnsHeader.Length;
        return length >= query.Length &&
               System.Text.Encoding.ASCII.GetString(answer, DnsHeader.Length, questionLength)
                   .Equals(System.Text.Encoding.ASCII.GetString(query, DnsHeader.Length, questionLength), StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>RFC 1035 section 4.1: a header with RD and one question, class IN.</summary>
    private static byte[] Query(string name, ushort type, out ushort id)
    {
        id = (ushort)RandomNumberGenerator.GetInt32(0x10000);
        var query = new List<byte>(DnsHeader.Length + name.Length + 6);
        byte[] header = new byte[DnsHeader.Length];
        new DnsHeader { Id = id, Flags = DnsHeader.FlagRD, QuestionCount = 1 }.Write(header);
        query.AddRange(header);
        foreach (string label in name.Split('.', StringSplitOptions.RemoveEmptyEntries))
        {
            if (label.Length > 63)
            {
                throw new IOException($"'{label}' is longer than a DNS label may be");
            }
            query.Add((byte)label.Length);
            query.AddRange(System.Text.Encoding.ASCII.GetBytes(label));
        }
        query.Add(0);
        query.Add((byte)(type >> 8));
        query.Add((byte)type);
        query.Add(0);
        query.Add(1);
        return query.ToArray();
    }

    /// <summary>The first nameserver of /etc/resolv.conf (an IPv6 one may carry a %scope), else 127.0.0.1.</summary>
    private static IPEndPoint SystemServer()
    {
        try
        {
            foreach (string line in File.ReadLines("/etc/resolv.conf"))
            {
                string[] fields = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
                if (fields.Length >= 2 && fields[0] == "nameserver" && IPAddress.TryParse(fields[1], out IPAddress? address))
                {
                    return new IPEndPoint(address, 53);
                }
            }
        }
        catch (IOException)
        {
        }
        return new IPEndPoint(IPAddress.Loopback, 53);
    }
}
