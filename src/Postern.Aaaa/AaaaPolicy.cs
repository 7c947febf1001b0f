using Postern.Wire;

namespace Postern.Aaaa;

/// <summary>Decides, for one queued packet, whether postern-aaaa answers it. Anything it is not
/// sure of passes: a malformed, truncated or unusual packet is the real server's business.</summary>
public sealed class AaaaPolicy
{
    private readonly AaaaOptions _options;
    private readonly ushort[] _queryTypes;
    private readonly AddressPrefix[] _exceptClients;
    private readonly IIpv6RouteState? _auto;

    public AaaaPolicy(AaaaOptions options, IIpv6RouteState? auto = null)
    {
        _options = options;
        _queryTypes = options.QueryTypes.Distinct().ToArray();
        _exceptClients = options.ExceptClients.ToArray();
        _auto = auto;
    }

    public AaaaOptions Options => _options;

    public bool ShouldAnswer(ReadOnlySpan<byte> packet, bool truncated, out UdpPacket udp, out DnsQuery query, out PassReason reason)
    {
        query = default;
        udp = default;
        if (truncated)
        {
            reason = PassReason.Truncated;
            return false;
        }

        switch (UdpPacket.TryRead(packet, out udp))
        {
            case UdpPacketError.None:
                break;
            case UdpPacketError.Fragment:
                reason = PassReason.Fragment;
                return false;
            case UdpPacketError.NotUdp:
            case UdpPacketError.NotIp:
                reason = PassReason.NotUdp;
                return false;
            default:
                reason = PassReason.Malformed;
                return false;
        }
        if (!udp.HasValidChecksum(packet))
        {
            // A corrupt datagram: the server's kernel would drop it, so no one should answer it.
            reason = PassReason.Malformed;
            return false;
        }

        ReadOnlySpan<byte> message = udp.Payload(packet);
        switch (DnsQuery.TryRead(message, out query))
        {
            case DnsQueryError.None:
                break;
            case DnsQueryError.Response:
                reason = PassReason.Response;
                return false;
            case DnsQueryError.Opcode:
                reason = PassReason.Opcode;
                return false;
            case DnsQueryError.QuestionCount:
                reason = PassReason.QuestionCount;
                return false;
            case DnsQueryError.UnexpectedRecords:
            case DnsQueryError.UnexpectedAdditional:
                reason = PassReason.OtherRecords;
                return false;
            default:
                reason = PassReason.Malformed;
                return false;
        }

        if (query.QuestionClass != DnsType.ClassIN)
        {
            reason = PassReason.OtherClass;
            return false;
        }
        if (Array.IndexOf(_queryTypes, query.QuestionType) < 0)
        {
            reason = PassReason.OtherType;
            return false;
        }
        if (query.HasOpt && query.OptVersion != 0)
        {
            // RFC 6891 section 6.1.3: BADVERS is the real server's answer to give.
            reason = PassReason.EdnsVersion;
            return false;
        }
        if (_options.PassDnssec && query.DnssecOk)
        {
            reason = PassReason.Dnssec;
            return false;
        }
        if (_exceptClients.Length != 0 && IsExceptedClient(udp.SourceAddress(packet)))
        {
            reason = PassReason.ExceptedClient;
            return false;
        }
        if (_options.ExceptDomains.Count != 0)
        {
            Span<char> name = stackalloc char[DnsReader.MaxNameLength];
            int length = DnsReader.ReadLowerCaseName(message, query.QuestionNameOffset, name);
            if (length < 0)
            {
                reason = PassReason.Malformed;
                return false;
            }
            if (_options.ExceptDomains.Matches(name.Slice(0, length)))
            {
                reason = PassReason.ExceptedDomain;
                return false;
            }
        }
        if (_auto is not null && _auto.HasDefaultRoute)
        {
            reason = PassReason.Ipv6Route;
            return false;
        }

        reason = default;
        return true;
    }

    private bool IsExceptedClient(ReadOnlySpan<byte> address)
    {
        foreach (AddressPrefix prefix in _exceptClients)
        {
            if (prefix.Contains(address))
            {
                return true;
            }
        }
        return false;
    }
}
