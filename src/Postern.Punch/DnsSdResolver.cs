using System.Net;
using ARSoft.Tools.Net;
using ARSoft.Tools.Net.Dns;
using Postern.Wire;

namespace Postern.Punch;

/// <summary>postern-punch connect --resolve: the endpoint a peer registered, from the DNS-SD
/// records a reflector with --dns-sd publishes (wgsd's names: the SRV of
/// &lt;base32 key&gt;._wireguard._udp.ZONE gives the port and target, the target's A/AAAA the
/// address, from the additional section or asked for). ARSoft.Tools.Net's client, the same
/// library the reflector serves with: SRV, additional records and TCP fallback come with it, which
/// a small query of our own would have to grow.</summary>
public sealed class DnsSdResolver
{
    private const int TimeoutMilliseconds = 3000;

    private readonly DnsClient _client;

    /// <param name="server">The DNS server to ask; null for the system's (/etc/resolv.conf).</param>
    public DnsSdResolver(IPEndPoint? server)
    {
        _client = server is null
            ? new DnsClient(DnsClient.GetLocalConfiguredDnsServers(), TimeoutMilliseconds)
            : new DnsClient(new[] { server.Address },
                new IClientTransport[] { new UdpClientTransport(server.Port), new TcpClientTransport(server.Port) }, true, TimeoutMilliseconds);
    }

    /// <summary>&lt;base32 key&gt;._wireguard._udp.ZONE.</summary>
    public static DomainName InstanceName(string zone, ReadOnlySpan<byte> key) =>
        DomainName.Parse(WireGuardRegister.Base32Label(key) + "._wireguard._udp." + zone.TrimEnd('.'));

    /// <summary>The peer's endpoint; an <see cref="IOException"/> says why there is none.</summary>
    public IPEndPoint Resolve(string zone, ReadOnlySpan<byte> key)
    {
        DomainName name = InstanceName(zone, key);
        DnsMessage answer = Ask(name, RecordType.Srv);
        SrvRecord? srv = answer.AnswerRecords.OfType<SrvRecord>().FirstOrDefault(r => r.Name.Equals(name));
        if (srv is null)
        {
            throw new IOException($"{name} has no SRV record ({answer.ReturnCode}): has the peer run postern-punch register?");
        }
        IPAddress? address = AddressOf(answer.AdditionalRecords, srv.Target);
        if (address is null)
        {
            address = AddressOf(Ask(srv.Target, RecordType.A).AnswerRecords, srv.Target)
                      ?? AddressOf(Ask(srv.Target, RecordType.Aaaa).AnswerRecords, srv.Target)
                      ?? throw new IOException($"{srv.Target} has no A or AAAA record");
        }
        return new IPEndPoint(address, srv.Port);
    }

    private DnsMessage Ask(DomainName name, RecordType type) =>
        _client.Resolve(name, type) ?? throw new IOException($"no DNS answer for {name} {type} within {TimeoutMilliseconds / 1000} s");

    private static IPAddress? AddressOf(IEnumerable<DnsRecordBase> records, DomainName target)
    {
        foreach (DnsRecordBase record in records)
        {
            if (!record.Name.Equals(target))
            {
                continue;
            }
            switch (record)
            {
                case ARecord a:
                    return a.Address;
                case AaaaRecord aaaa:
                    return aaaa.Address;
            }
        }
        return null;
    }
}
