using FsCheck;
using FsCheck.Fluent;
using Postern.Wire;

namespace Postern.Aaaa.Tests;

/// <summary>Whatever the queue hands over, the policy decides without throwing, and what it agrees
/// to answer can be answered within the reply buffer.</summary>
public class AaaaPolicyPropertyTests
{
    private static readonly Config Config = Config.QuickThrowOnFailure.WithMaxTest(3000);

    private static readonly Gen<byte> AnyByte = Gen.Choose(0, 255).Select(i => (byte)i);

    private static Gen<byte[]> Bytes(int minLength, int maxLength) =>
        Gen.Choose(minLength, maxLength).SelectMany(length => AnyByte.ArrayOf(length));

    /// <summary>Random bytes, and random bytes with a real IP version nibble in front.</summary>
    private static readonly Gen<byte[]> RandomPackets = Gen.OneOf(
        Bytes(0, 600),
        from version in Gen.Elements<byte>(0x45, 0x60)
        from rest in Bytes(0, 600)
        select (byte[])[version, .. rest]);

    /// <summary>Correct IPv4 or IPv6 UDP headers around random messages, and around real dig
    /// queries with random bytes overwritten, so that the DNS reading itself gets hostile input.</summary>
    private static readonly Gen<byte[]> WrappedMessages =
        from version in Gen.Elements(4, 6)
        from message in Gen.OneOf(
            Bytes(0, 400),
            from query in Gen.Elements(DigQueries.Aaaa, DigQueries.AaaaMixedCaseSubdomain, DigQueries.AaaaDnssec, DigQueries.AaaaTsig)
            from edits in Gen.Choose(0, query.Length - 1).Zip(AnyByte).ListOf()
            select Edit(query, edits))
        select QueryPackets.Wrap(version, message);

    private static readonly AaaaPolicy[] Policies =
    [
        new(new AaaaOptions()),
        new(new AaaaOptions
        {
            QueryTypes = [DnsType.AAAA, DnsType.HTTPS, DnsType.SVCB],
            ExceptDomains = new DomainSet(["example.com", "corp.internal"]),
            ExceptClients = [Parse("198.51.100.0/24"), Parse("2001:db8:7::/48")],
            PassDnssec = true,
        }, new FakeRouteState(hasDefaultRoute: false)),
    ];

    [Fact]
    public void RandomBytes_NeverThrow()
    {
        Check.One(Config, Prop.ForAll(RandomPackets.ToArbitrary(), Gen.Elements(false, true).ToArbitrary(),
            (byte[] packet, bool truncated) =>
            {
                foreach (AaaaPolicy policy in Policies)
                {
                    bool answer = policy.ShouldAnswer(packet, truncated, out _, out _, out PassReason reason);
                    Assert.True(answer || Enum.IsDefined(reason));
                    if (truncated)
                    {
                        Assert.False(answer);
                    }
                }
            }));
    }

    [Fact]
    public void RandomMessagesInRealHeaders_NeverThrow_AndAnsweredOnesGetAReply()
    {
        Check.One(Config, Prop.ForAll(WrappedMessages.ToArbitrary(), (byte[] packet) =>
        {
            foreach (AaaaPolicy policy in Policies)
            {
                if (!policy.ShouldAnswer(packet, false, out UdpPacket udp, out DnsQuery query, out PassReason reason))
                {
                    Assert.True(Enum.IsDefined(reason));
                    Assert.NotEqual(PassReason.NotUdp, reason);
                    continue;
                }
                byte[] reply = new byte[ReplyPacket.MaxLength];
                int length = ReplyPacket.Write(packet, udp, query, policy.Options, reply);
                Assert.InRange(length, UdpPacketWriter.HeaderLength(udp.IpVersion) + query.QuestionEnd, ReplyPacket.MaxLength);
                Assert.Equal(UdpPacketError.None, UdpPacket.TryRead(reply.AsSpan(0, length), out UdpPacket replyUdp));
                Assert.Equal(query.Header.Id, (ushort)(reply[replyUdp.PayloadOffset] << 8 | reply[replyUdp.PayloadOffset + 1]));
            }
        }));
    }

    [Fact]
    public void WrappedMessages_ReachTheAnswerBranchAndThePassBranches()
    {
        // The property above only checks replies for packets the policy answers: the generator
        // must produce those as well as ones passed for DNS reasons, or it proves little.
        byte[][] samples = WrappedMessages.Sample(1000, 50);
        var reasons = new HashSet<PassReason>();
        int answered = 0;
        foreach (byte[] packet in samples)
        {
            if (Policies[0].ShouldAnswer(packet, false, out _, out _, out PassReason reason))
            {
                answered++;
            }
            else
            {
                reasons.Add(reason);
            }
        }

        Assert.InRange(answered, 1, samples.Length - 1);
        Assert.Contains(PassReason.Malformed, reasons);
    }

    private static byte[] Edit(byte[] message, List<(int Offset, byte Value)> edits)
    {
        byte[] copy = (byte[])message.Clone();
        foreach ((int offset, byte value) in edits)
        {
            copy[offset] = value;
        }
        return copy;
    }

    private static AddressPrefix Parse(string text)
    {
        Assert.True(AddressPrefix.TryParse(text, out AddressPrefix? prefix), text);
        return prefix!;
    }
}
