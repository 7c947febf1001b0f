using System.Diagnostics;
using System.Net;
using ARSoft.Tools.Net;
using ARSoft.Tools.Net.Dns;
using Postern.Wire;

namespace Postern.Reflector;

/// <summary>The DNS-SD records of the registered WireGuard endpoints, named as wgsd names them so
/// that wgsd-client-style tools work (RFC 6763 semantics):
/// <code>
/// _wireguard._udp.ZONE           PTR  &lt;b32&gt;._wireguard._udp.ZONE    (one per registered key)
/// &lt;b32&gt;._wireguard._udp.ZONE     SRV  0 0 PORT &lt;b32&gt;._wireguard._udp.ZONE
/// &lt;b32&gt;._wireguard._udp.ZONE     A or AAAA  the address
/// &lt;b32&gt;._wireguard._udp.ZONE     TXT  "txtvers=1" "pub=&lt;base64 key&gt;"
/// </code>
/// where &lt;b32&gt; is the key in lower-case base32 with its padding
/// (<see cref="WireGuardRegister.Base32Label"/>). An SRV answer carries the A/AAAA and TXT in the
/// additional section. Every record has the short --dns-sd-ttl; a name of the zone that does not
/// exist is NXDOMAIN, a type a name does not have is NODATA, both with the zone's SOA (whose
/// minimum is the same TTL, RFC 2308); a name outside the zone is REFUSED. Free of sockets.</summary>
public sealed class DnsSdZone
{
    private static readonly string[] s_service = { "_wireguard", "_udp" };

    private readonly WireGuardDirectory _directory;
    private readonly int _ttl;
    private long _noError;
    private long _noData;
    private long _nxDomain;
    private long _refused;
    private long _other;

    public DnsSdZone(string zone, int ttlSeconds, WireGuardDirectory directory)
    {
        Zone = DomainName.Parse(zone);
        ServiceName = new DomainName(s_service.Concat(Zone.Labels).ToArray());
        _ttl = ttlSeconds;
        _directory = directory;
    }

    public DomainName Zone { get; }

    /// <summary>_wireguard._udp.ZONE: where the PTR records are.</summary>
    public DomainName ServiceName { get; }

    /// <summary>Answers with records (NOERROR and at least one answer).</summary>
    public long AnsweredNoError => Volatile.Read(ref _noError);
    public long AnsweredNoData => Volatile.Read(ref _noData);
    public long AnsweredNxDomain => Volatile.Read(ref _nxDomain);
    public long AnsweredRefused => Volatile.Read(ref _refused);

    /// <summary>FORMERR and NOTIMP: not one question, not a query.</summary>
    public long AnsweredOther => Volatile.Read(ref _other);

    /// <summary>The instance name of <paramref name="key"/>: &lt;b32&gt;._wireguard._udp.ZONE.</summary>
    public DomainName InstanceName(ReadOnlySpan<byte> key) =>
        new(new[] { WireGuardRegister.Base32Label(key) }.Concat(ServiceName.Labels).ToArray());

    public DnsMessage Answer(DnsMessage query) => Answer(query, Stopwatch.GetTimestamp());

    public DnsMessage Answer(DnsMessage query, long now)
    {
        DnsMessage response = query.CreateResponseInstance();
        response.IsRecursionAllowed = false;
        if (query.OperationCode != OperationCode.Query || query.Questions.Count != 1)
        {
            response.ReturnCode = query.OperationCode != OperationCode.Query ? ReturnCode.NotImplemented : ReturnCode.FormatError;
            Interlocked.Increment(ref _other);
            return response;
        }
        DnsQuestion question = query.Questions[0];
        if (!question.Name.IsEqualOrSubDomainOf(Zone) || question.RecordClass is not (RecordClass.INet or RecordClass.Any))
        {
            response.ReturnCode = ReturnCode.Refused;
            Interlocked.Increment(ref _refused);
            return response;
        }
        response.IsAuthoritiveAnswer = true;
        response.ReturnCode = ReturnCode.NoError;
        RecordType type = question.RecordType;
        bool exists;
        if (question.Name.Equals(ServiceName))
        {
            exists = true;
            if (type is RecordType.Ptr or RecordType.Any)
            {
                foreach (WireGuardRegistration registration in _directory.Snapshot(now))
                {
                    response.AnswerRecords.Add(new PtrRecord(ServiceName, _ttl, InstanceName(registration.Key)));
                }
            }
        }
        else if (TryInstance(question.Name, out byte[]? key))
        {
            exists = _directory.TryFind(key!, now, out WireGuardRegistration registration);
            if (exists)
            {
                AddInstance(response, question.Name, type, in registration);
            }
        }
        else
        {
            // The apex and the names between it and the instances (_udp.ZONE) exist, empty but
            // for the apex's SOA.
            exists = question.Name.Equals(Zone) || ServiceName.IsSubDomainOf(question.Name);
            if (question.Name.Equals(Zone) && type is RecordType.Soa or RecordType.Any)
            {
                response.AnswerRecords.Add(Soa());
            }
        }
        if (!exists)
        {
            response.ReturnCode = ReturnCode.NxDomain;
            response.AuthorityRecords.Add(Soa());
            Interlocked.Increment(ref _nxDomain);
        }
        else if (response.AnswerRecords.Count == 0)
        {
            response.AuthorityRecords.Add(Soa());
            Interlocked.Increment(ref _noData);
        }
        else
        {
            Interlocked.Increment(ref _noError);
        }
        return response;
    }

    private void AddInstance(DnsMessage response, DomainName name, RecordType type, in WireGuardRegistration registration)
    {
        IPAddress address = new(registration.Endpoint.Bytes);
        DnsRecordBase host = registration.Endpoint.Family == 4
            ? new ARecord(name, _ttl, address)
            : new AaaaRecord(name, _ttl, address);
        var txt = new TxtRecord(name, _ttl, new[] { "txtvers=1", "pub=" + Convert.ToBase64String(registration.Key) });
        switch (type)
        {
            case RecordType.Srv:
                response.AnswerRecords.Add(new SrvRecord(name, _ttl, 0, 0, registration.Endpoint.Port, name));
                response.AdditionalRecords.Add(host);
                response.AdditionalRecords.Add(txt);
                break;
            case RecordType.A when registration.Endpoint.Family == 4:
            case RecordType.Aaaa when registration.Endpoint.Family == 6:
                response.AnswerRecords.Add(host);
                break;
            case RecordType.Txt:
                response.AnswerRecords.Add(txt);
                break;
            case RecordType.Any:
                response.AnswerRecords.Add(new SrvRecord(name, _ttl, 0, 0, registration.Endpoint.Port, name));
                response.AnswerRecords.Add(host);
                response.AnswerRecords.Add(txt);
                break;
        }
    }

    /// <summary>&lt;b32&gt;._wireguard._udp.ZONE with a well-formed key label.</summary>
    private bool TryInstance(DomainName name, out byte[]? key)
    {
        key = null;
        if (name.LabelCount != ServiceName.LabelCount + 1 || !name.GetParentName(1).Equals(ServiceName))
        {
            return false;
        }
        key = WireGuardRegister.ParseBase32Label(name.Labels[0]);
        return key is not null;
    }

    private SoaRecord Soa() =>
        new(Zone, _ttl, Zone, new DomainName(new[] { "hostmaster" }.Concat(Zone.Labels).ToArray()), 1, 3600, 600, 86400, _ttl);
}
