using System.Net;
using System.Net.Sockets;
using Postern.Wire;

namespace Postern.Punch;

/// <summary>RFC 5780 section 4: the mapping (4.3) and filtering (4.4) tests, hairpinning (4.5),
/// port preservation and the allocation seen over several mappings, against a reflector with
/// an alternate address (postern-reflector --alternate). Each test that cannot run says why.</summary>
public static class NatTypeProbe
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(2);

    /// <summary>The quick mapping test connect runs before rendezvous: the mapping towards the
    /// server against the mapping towards its OTHER-ADDRESS (or a second server).</summary>
    public static NatBehaviour QuickMapping(PunchPort port, StunAddress first, StunAddress other, IPEndPoint? secondServer, out string why)
    {
        IPEndPoint? target = !other.IsEmpty ? other.ToIPEndPoint() : secondServer;
        if (target is null)
        {
            why = "the reflector has no alternate address and there is no second --server";
            return NatBehaviour.Unknown;
        }
        StunResponse? answer = StunClient.Binding(port, target, s_timeout);
        if (answer is not { } response || response.MappedAddress.IsEmpty)
        {
            why = $"{Endpoints.Format(target)} did not answer";
            return NatBehaviour.Unknown;
        }
        why = $"{first} towards the server, {response.MappedAddress} towards {Endpoints.Format(target)}";
        return response.MappedAddress == first ? NatBehaviour.EndpointIndependent : NatBehaviour.AddressAndPortDependent;
    }

    public static NatReport Run(IPEndPoint server)
    {
        var report = new NatReport();
        AddressFamily family = server.AddressFamily;
        using PunchPort port = PunchPort.Open(family, 0);
        StunResponse? first = StunClient.Binding(port, server, s_timeout);
        if (first is not { } one || one.MappedAddress.IsEmpty)
        {
            throw new IOException($"{Endpoints.Format(server)} did not answer a STUN Binding request within {s_timeout.TotalSeconds:0} s");
        }
        IPEndPoint mapped = one.MappedAddress.ToIPEndPoint();
        IPEndPoint local = LocalAddresses.RouteSource(server, port.LocalEndPoint.Port);
        report.Mapped = Endpoints.Format(mapped);
        report.Local = Endpoints.Format(local);
        report.BehindNat = !mapped.Equals(local);
        report.PortPreserved = mapped.Port == local.Port;
        report.MappedPorts.Add(mapped.Port);
        StunAddress other = !one.OtherAddress.IsEmpty ? one.OtherAddress : one.ChangedAddress;
        if (other.IsEmpty)
        {
            const string why = "the reflector has no alternate address (postern-reflector --alternate)";
            report.MappingWhy = report.FilteringWhy = why;
            report.AllocationWhy = why;
        }
        else
        {
            Mapping(port, server, other.ToIPEndPoint(), one.MappedAddress, report);
            Filtering(server, report);
        }
        Hairpin(family, server, report);
        return report;
    }

    /// <summary>Section 4.3: the same socket to the alternate IP (primary port), then to the
    /// alternate IP and port.</summary>
    private static void Mapping(PunchPort port, IPEndPoint server, IPEndPoint other, StunAddress first, NatReport report)
    {
        var alternateIp = new IPEndPoint(other.Address, server.Port);
        StunResponse? second = StunClient.Binding(port, alternateIp, s_timeout);
        if (second is not { } two || two.MappedAddress.IsEmpty)
        {
            report.MappingWhy = $"{Endpoints.Format(alternateIp)} (the alternate address) did not answer";
            return;
        }
        report.MappedPorts.Add(two.MappedAddress.Port);
        if (two.MappedAddress == first)
        {
            report.Mapping = NatBehaviour.EndpointIndependent;
            report.MappingWhy = $"the same mapping {first} towards both addresses";
            return;
        }
        StunResponse? third = StunClient.Binding(port, other, s_timeout);
        if (third is not { } three || three.MappedAddress.IsEmpty)
        {
            report.Mapping = NatBehaviour.AddressAndPortDependent;
            report.MappingWhy = $"{Endpoints.Format(other)} did not answer; the mapping changes at least with the address";
            return;
        }
        report.MappedPorts.Add(three.MappedAddress.Port);
        report.Mapping = three.MappedAddress == two.MappedAddress ? NatBehaviour.AddressDependent : NatBehaviour.AddressAndPortDependent;
        report.MappingWhy = $"{first}, {two.MappedAddress}, {three.MappedAddress} towards the primary, the alternate IP, the alternate IP and port";
    }

    /// <summary>Section 4.4, on a fresh socket that has only ever sent to the primary address:
    /// an answer from the other IP and port means endpoint-independent filtering; from the other
    /// port only, address-dependent; neither, address-and-port-dependent.</summary>
    private static void Filtering(IPEndPoint server, NatReport report)
    {
        using PunchPort port = PunchPort.Open(server.AddressFamily, 0);
        if (StunClient.Binding(port, server, s_timeout) is null)
        {
            report.FilteringWhy = "the primary address stopped answering";
            return;
        }
        if (StunClient.Binding(port, server, s_timeout, StunAttribute.ChangeIpFlag | StunAttribute.ChangePortFlag) is not null)
        {
            report.Filtering = NatBehaviour.EndpointIndependent;
            report.FilteringWhy = "an answer from the other IP and port came in";
            return;
        }
        if (StunClient.Binding(port, server, s_timeout, StunAttribute.ChangePortFlag) is not null)
        {
            report.Filtering = NatBehaviour.AddressDependent;
            report.FilteringWhy = "an answer from the other port came in, none from the other IP";
            return;
        }
        report.Filtering = NatBehaviour.AddressAndPortDependent;
        report.FilteringWhy = "no answer from the other port or IP came in";
    }

    /// <summary>Section 4.5: a second socket sends a Binding request to the first one's mapping;
    /// it hairpins when the first socket receives it.</summary>
    private static void Hairpin(AddressFamily family, IPEndPoint server, NatReport report)
    {
        using PunchPort target = PunchPort.Open(family, 0);
        using PunchPort source = PunchPort.Open(family, 0);
        if (StunClient.Binding(target, server, s_timeout) is not { } mapping || mapping.MappedAddress.IsEmpty)
        {
            report.HairpinningWhy = "the reflector stopped answering";
            return;
        }
        if (!report.BehindNat)
        {
            report.HairpinningWhy = "no NAT";
            return;
        }
        byte[] request = new byte[64];
        int length = StunClient.WriteBinding(request, StunClient.NewTransactionId());
        byte[] buffer = new byte[2048];
        var readable = new List<Socket>(1);
        for (int attempt = 0; attempt < 4; attempt++)
        {
            source.Send(request.AsSpan(0, length), mapping.MappedAddress.ToIPEndPoint());
            readable.Clear();
            readable.Add(target.Socket);
            Socket.Select(readable, null, null, 250_000);
            while (target.TryReceive(buffer, out int received, out _))
            {
                if (received == length && buffer.AsSpan(0, length).SequenceEqual(request.AsSpan(0, length)))
                {
                    report.Hairpinning = true;
                    return;
                }
            }
        }
        report.Hairpinning = false;
        report.HairpinningWhy = "a datagram to our own mapping never came back in";
    }
}
