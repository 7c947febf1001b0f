using System.Buffers.Binary;
using Postern.Wire;

namespace Postern.Aaaa.Tests;

/// <summary>Which queued packets postern-aaaa answers, and the reason it gives for each one it
/// passes: real dig queries in real IPv4 and IPv6 UDP datagrams.</summary>
public class AaaaPolicyTests
{
    private static readonly AaaaPolicy Default = new(new AaaaOptions());

    private static (bool Answer, PassReason Reason) Decide(AaaaPolicy policy, byte[] packet, bool truncated = false)
    {
        bool answer = policy.ShouldAnswer(packet, truncated, out _, out _, out PassReason reason);
        return (answer, reason);
    }

    private static void AssertAnswered(AaaaPolicy policy, byte[] packet)
    {
        (bool answer, PassReason reason) = Decide(policy, packet);
        Assert.True(answer, $"passed as {reason}");
    }

    private static void AssertPassed(PassReason expected, AaaaPolicy policy, byte[] packet, bool truncated = false)
    {
        (bool answer, PassReason reason) = Decide(policy, packet, truncated);
        Assert.False(answer);
        Assert.Equal(expected, reason);
    }

    [Theory]
    [InlineData(4)]
    [InlineData(6)]
    public void Aaaa_IsAnswered_AndTheParsedQueryIsReturned(int ipVersion)
    {
        byte[] packet = QueryPackets.Wrap(ipVersion, DigQueries.Aaaa);

        bool answer = Default.ShouldAnswer(packet, false, out UdpPacket udp, out DnsQuery query, out _);

        Assert.True(answer);
        Assert.Equal(ipVersion, udp.IpVersion);
        Assert.Equal(QueryPackets.ClientPort, udp.SourcePort);
        Assert.Equal(QueryPackets.ServerPort, udp.DestinationPort);
        Assert.Equal(0x68e5, query.Header.Id);
        Assert.Equal(DnsType.AAAA, query.QuestionType);
        Assert.True(query.HasOpt);
    }

    [Theory]
    [InlineData(4)]
    [InlineData(6)]
    public void AaaaWithoutEdns_IsAnswered(int ipVersion) =>
        AssertAnswered(Default, QueryPackets.Wrap(ipVersion, DigQueries.AaaaNoEdns));

    [Theory]
    [InlineData(4)]
    [InlineData(6)]
    public void AaaaWithAWrongUdpChecksum_PassesAsMalformed(int ipVersion)
    {
        // Found by `make fuzz`: the server's kernel drops such a datagram, so it must not be answered.
        byte[] packet = QueryPackets.Wrap(ipVersion, DigQueries.Aaaa);
        int checksum = (ipVersion == 4 ? 20 : 40) + 6;
        packet[checksum] ^= 0x01;

        AssertPassed(PassReason.Malformed, Default, packet);
    }

    [Theory]
    [InlineData(4)]
    [InlineData(6)]
    public void A_PassesAsOtherType(int ipVersion) =>
        AssertPassed(PassReason.OtherType, Default, QueryPackets.Wrap(ipVersion, DigQueries.A));

    [Theory]
    [InlineData(4)]
    [InlineData(6)]
    public void Https_PassesByDefault_AndIsAnsweredWhenAskedFor(int ipVersion)
    {
        byte[] packet = QueryPackets.Wrap(ipVersion, DigQueries.Https);
        var withHttps = new AaaaPolicy(new AaaaOptions { QueryTypes = [DnsType.AAAA, DnsType.HTTPS] });

        AssertPassed(PassReason.OtherType, Default, packet);
        AssertAnswered(withHttps, packet);
        AssertAnswered(withHttps, QueryPackets.Wrap(ipVersion, DigQueries.Aaaa));
        AssertPassed(PassReason.OtherType, withHttps, QueryPackets.Wrap(ipVersion, DigQueries.A));
    }

    [Fact]
    public void QueryTypes_WithoutAaaa_PassAaaa()
    {
        // The list is what is answered; AAAA is only in it by default.
        var httpsOnly = new AaaaPolicy(new AaaaOptions { QueryTypes = [DnsType.HTTPS] });

        AssertPassed(PassReason.OtherType, httpsOnly, QueryPackets.Wrap(4, DigQueries.Aaaa));
        AssertAnswered(httpsOnly, QueryPackets.Wrap(4, DigQueries.Https));
    }

    [Theory]
    [InlineData(4)]
    [InlineData(6)]
    public void ChaosClass_PassesAsOtherClass(int ipVersion) =>
        AssertPassed(PassReason.OtherClass, Default, QueryPackets.Wrap(ipVersion, DigQueries.AaaaChaos));

    [Theory]
    [InlineData(4)]
    [InlineData(6)]
    public void Response_PassesAsResponse(int ipVersion)
    {
        // The query's flags with QR and RA set, as a server's answer to it carries.
        byte[] response = QueryPackets.WithFlags(DigQueries.AaaaNoEdns, 0x8180);

        AssertPassed(PassReason.Response, Default, QueryPackets.Wrap(ipVersion, response));
    }

    [Theory]
    [InlineData(4)]
    [InlineData(6)]
    public void Notify_PassesAsOpcode(int ipVersion) =>
        AssertPassed(PassReason.Opcode, Default, QueryPackets.Wrap(ipVersion, DigQueries.AaaaNotify));

    [Theory]
    [InlineData(4)]
    [InlineData(6)]
    public void TwoQuestions_PassAsQuestionCount(int ipVersion)
    {
        // dig's query with its question repeated and QDCOUNT 2.
        byte[] question = DigQueries.AaaaNoEdns[DnsHeader.Length..];
        byte[] message = [.. DigQueries.AaaaNoEdns, .. question];
        BinaryPrimitives.WriteUInt16BigEndian(message.AsSpan(4), 2);

        AssertPassed(PassReason.QuestionCount, Default, QueryPackets.Wrap(ipVersion, message));
    }

    [Fact]
    public void NoQuestion_PassesAsQuestionCount()
    {
        byte[] message = DigQueries.AaaaNoEdns[..DnsHeader.Length];
        BinaryPrimitives.WriteUInt16BigEndian(message.AsSpan(4), 0);

        AssertPassed(PassReason.QuestionCount, Default, QueryPackets.Wrap(4, message));
    }

    [Theory]
    [InlineData(4)]
    [InlineData(6)]
    public void Tsig_PassesAsOtherRecords(int ipVersion) =>
        AssertPassed(PassReason.OtherRecords, Default, QueryPackets.Wrap(ipVersion, DigQueries.AaaaTsig));

    [Fact]
    public void AnswerRecordInAQuery_PassesAsOtherRecords()
    {
        byte[] message = (byte[])DigQueries.AaaaNoEdns.Clone();
        BinaryPrimitives.WriteUInt16BigEndian(message.AsSpan(6), 1);

        AssertPassed(PassReason.OtherRecords, Default, QueryPackets.Wrap(4, message));
    }

    [Theory]
    [InlineData(4)]
    [InlineData(6)]
    public void CutShortByTheQueue_PassesAsTruncated(int ipVersion) =>
        AssertPassed(PassReason.Truncated, Default, QueryPackets.Wrap(ipVersion, DigQueries.Aaaa), truncated: true);

    [Theory]
    [InlineData(4)]
    [InlineData(6)]
    public void PacketShorterThanItsHeadersSay_PassesAsMalformed(int ipVersion)
    {
        byte[] packet = QueryPackets.Wrap(ipVersion, DigQueries.Aaaa);

        AssertPassed(PassReason.Malformed, Default, packet[..^1]);
    }

    [Theory]
    [InlineData(0x2000)] // more fragments
    [InlineData(0x00B9)] // a later fragment (offset 185 * 8)
    public void Ipv4Fragment_PassesAsFragment(ushort flagsAndOffset)
    {
        byte[] packet = QueryPackets.WithIpv4Fragment(QueryPackets.Wrap(4, DigQueries.Aaaa), flagsAndOffset);

        AssertPassed(PassReason.Fragment, Default, packet);
    }

    [Fact]
    public void Ipv4DontFragment_IsAnswered()
    {
        // No flags, or DF alone: a whole datagram.
        AssertAnswered(Default, QueryPackets.WithIpv4Fragment(QueryPackets.Wrap(4, DigQueries.Aaaa), 0x0000));
        AssertAnswered(Default, QueryPackets.WithIpv4Fragment(QueryPackets.Wrap(4, DigQueries.Aaaa), 0x4000));
    }

    [Fact]
    public void Ipv6FragmentHeader_PassesAsFragment() =>
        AssertPassed(PassReason.Fragment, Default, QueryPackets.WithProtocol(QueryPackets.Wrap(6, DigQueries.Aaaa), 44));

    [Theory]
    [InlineData(4)]
    [InlineData(6)]
    public void Tcp_PassesAsNotUdp(int ipVersion) =>
        AssertPassed(PassReason.NotUdp, Default, QueryPackets.WithProtocol(QueryPackets.Wrap(ipVersion, DigQueries.Aaaa), 6));

    [Fact]
    public void DnsMessageWithoutIpHeader_PassesAsNotUdp() =>
        // A DNS message starts with its ID; 0x68 is neither IP version 4 nor 6.
        AssertPassed(PassReason.NotUdp, Default, DigQueries.Aaaa);

    [Theory]
    [InlineData(new byte[] { })]
    [InlineData(new byte[] { 0x45 })]
    [InlineData(new byte[] { 0x45, 0x00, 0x00, 0x14, 0, 0, 0, 0, 64, 17, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8 })]
    [InlineData(new byte[] { 0x60, 0, 0, 0 })]
    public void Garbage_PassesAsMalformed(byte[] packet) => AssertPassed(PassReason.Malformed, Default, packet);

    [Theory]
    [InlineData(new byte[] { 0x00, 0x01, 0x02, 0x03 })]
    [InlineData(new byte[] { 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF })]
    public void GarbageThatIsNotIp_PassesAsNotUdp(byte[] packet) => AssertPassed(PassReason.NotUdp, Default, packet);

    [Theory]
    [InlineData(4)]
    [InlineData(6)]
    public void UdpPayloadThatIsNotDns_PassesAsMalformed(int ipVersion) =>
        AssertPassed(PassReason.Malformed, Default, QueryPackets.Wrap(ipVersion, "postern"u8.ToArray()));

    [Theory]
    [InlineData(4)]
    [InlineData(6)]
    public void EdnsVersion1_PassesAsEdnsVersion(int ipVersion) =>
        AssertPassed(PassReason.EdnsVersion, Default, QueryPackets.Wrap(ipVersion, DigQueries.AaaaEdnsVersion1));

    [Theory]
    [InlineData(4)]
    [InlineData(6)]
    public void DnssecOk_PassesWithPassDnssec_AndIsAnsweredWithout(int ipVersion)
    {
        var passDnssec = new AaaaPolicy(new AaaaOptions { PassDnssec = true });

        foreach (byte[] message in new[] { DigQueries.AaaaDnssec, DigQueries.AaaaMixedCaseDnssec })
        {
            byte[] packet = QueryPackets.Wrap(ipVersion, message);
            AssertPassed(PassReason.Dnssec, passDnssec, packet);
            AssertAnswered(Default, packet);
        }
        // Without the DO bit, --pass-dnssec changes nothing.
        AssertAnswered(passDnssec, QueryPackets.Wrap(ipVersion, DigQueries.Aaaa));
    }

    [Theory]
    [InlineData("192.0.2.10", true)]
    [InlineData("192.0.2.0", true)]
    [InlineData("192.0.2.255", true)]
    [InlineData("192.0.3.0", false)]
    [InlineData("192.0.1.255", false)]
    public void ExceptClientIpv4Slash24_PassesExactlyThePrefix(string client, bool excepted)
    {
        var policy = PolicyExceptingClients("192.0.2.0/24");
        byte[] packet = QueryPackets.Wrap(4, DigQueries.Aaaa, client);

        if (excepted)
        {
            AssertPassed(PassReason.ExceptedClient, policy, packet);
        }
        else
        {
            AssertAnswered(policy, packet);
        }
    }

    [Theory]
    [InlineData("2001:db8:1:2::10", true)]
    [InlineData("2001:db8:1::", true)]
    [InlineData("2001:db8:1:ffff:ffff:ffff:ffff:ffff", true)]
    [InlineData("2001:db8:2::", false)]
    [InlineData("2001:db8:0:ffff:ffff:ffff:ffff:ffff", false)]
    public void ExceptClientIpv6Slash48_PassesExactlyThePrefix(string client, bool excepted)
    {
        var policy = PolicyExceptingClients("2001:db8:1::/48");
        byte[] packet = QueryPackets.Wrap(6, DigQueries.Aaaa, client);

        if (excepted)
        {
            AssertPassed(PassReason.ExceptedClient, policy, packet);
        }
        else
        {
            AssertAnswered(policy, packet);
        }
    }

    [Fact]
    public void ExceptClient_MatchesTheSourceNotTheDestination()
    {
        // The server's address is in the prefix, the client's is not.
        var policy = PolicyExceptingClients("198.51.100.0/24", "2001:db8:ffff::/48");

        AssertAnswered(policy, QueryPackets.Wrap(4, DigQueries.Aaaa));
        AssertAnswered(policy, QueryPackets.Wrap(6, DigQueries.Aaaa));
    }

    [Fact]
    public void ExceptClient_OfOneFamily_DoesNotPassTheOther()
    {
        // ::ffff:192.0.2.0/120 is not 192.0.2.0/24: an IPv4 packet's 4-byte source never matches it.
        var policy = PolicyExceptingClients("::/0");

        AssertAnswered(policy, QueryPackets.Wrap(4, DigQueries.Aaaa));
        AssertPassed(PassReason.ExceptedClient, policy, QueryPackets.Wrap(6, DigQueries.Aaaa));
    }

    [Theory]
    [InlineData(4)]
    [InlineData(6)]
    public void ExceptDomain_PassesTheDomainAndItsSubdomainsInAnyCase(int ipVersion)
    {
        var policy = PolicyExceptingDomains("example.com");

        AssertPassed(PassReason.ExceptedDomain, policy, QueryPackets.Wrap(ipVersion, DigQueries.Aaaa));
        AssertPassed(PassReason.ExceptedDomain, policy, QueryPackets.Wrap(ipVersion, DigQueries.AaaaMixedCaseDnssec));
        AssertPassed(PassReason.ExceptedDomain, policy, QueryPackets.Wrap(ipVersion, DigQueries.AaaaMixedCaseSubdomain));
    }

    [Theory]
    [InlineData(4)]
    [InlineData(6)]
    public void ExceptDomain_DoesNotPassANameThatOnlySharesItsText(int ipVersion)
    {
        var policy = PolicyExceptingDomains("example.com");

        // www.notexample.com ends in the characters "example.com" but is not below it.
        AssertAnswered(policy, QueryPackets.Wrap(ipVersion, DigQueries.AaaaSiblingDomain));
        AssertAnswered(policy, QueryPackets.Wrap(ipVersion, DigQueries.AaaaOtherDomain));
    }

    [Fact]
    public void ExceptDomain_DoesNotPassTheParent()
    {
        var policy = PolicyExceptingDomains("www.example.com");

        AssertAnswered(policy, QueryPackets.Wrap(4, DigQueries.Aaaa));
        AssertPassed(PassReason.ExceptedDomain, policy, QueryPackets.Wrap(4, DigQueries.AaaaMixedCaseSubdomain));
    }

    [Theory]
    [InlineData("example.com.")]
    [InlineData("EXAMPLE.Com")]
    [InlineData(" example.com ")]
    public void ExceptDomain_AsConfiguredWithTrailingDotOrCase_StillMatches(string configured)
    {
        var policy = PolicyExceptingDomains(configured);

        AssertPassed(PassReason.ExceptedDomain, policy, QueryPackets.Wrap(4, DigQueries.AaaaMixedCaseSubdomain));
        AssertAnswered(policy, QueryPackets.Wrap(4, DigQueries.AaaaSiblingDomain));
    }

    [Fact]
    public void ExceptDomain_Root_PassesEveryName()
    {
        var policy = PolicyExceptingDomains(".");

        AssertPassed(PassReason.ExceptedDomain, policy, QueryPackets.Wrap(4, DigQueries.AaaaOtherDomain));
        AssertPassed(PassReason.ExceptedDomain, policy, QueryPackets.Wrap(6, DigQueries.AaaaSiblingDomain));
    }

    [Theory]
    [InlineData(4)]
    [InlineData(6)]
    public void Auto_PassesWhileThereIsAnIpv6DefaultRoute_AndAnswersWithout(int ipVersion)
    {
        var routes = new FakeRouteState(hasDefaultRoute: true);
        var policy = new AaaaPolicy(new AaaaOptions(), routes);
        byte[] packet = QueryPackets.Wrap(ipVersion, DigQueries.Aaaa);

        AssertPassed(PassReason.Ipv6Route, policy, packet);

        // Re-read per packet: the route going away takes effect on the next query.
        routes.HasDefaultRoute = false;
        AssertAnswered(policy, packet);

        routes.HasDefaultRoute = true;
        AssertPassed(PassReason.Ipv6Route, policy, packet);
    }

    [Fact]
    public void Auto_DoesNotChangeTheReasonForPacketsPassedAnyway()
    {
        var policy = new AaaaPolicy(new AaaaOptions(), new FakeRouteState(hasDefaultRoute: true));

        AssertPassed(PassReason.OtherType, policy, QueryPackets.Wrap(4, DigQueries.A));
    }

    private static AaaaPolicy PolicyExceptingClients(params string[] prefixes) =>
        new(new AaaaOptions { ExceptClients = prefixes.Select(Prefix).ToArray() });

    private static AaaaPolicy PolicyExceptingDomains(params string[] domains) =>
        new(new AaaaOptions { ExceptDomains = new DomainSet(domains) });

    private static AddressPrefix Prefix(string text)
    {
        Assert.True(AddressPrefix.TryParse(text, out AddressPrefix? prefix), text);
        return prefix!;
    }
}
