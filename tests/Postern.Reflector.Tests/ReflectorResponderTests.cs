using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Text;
using Postern.Wire;

namespace Postern.Reflector.Tests;

public class ReflectorResponderTests
{
    private static readonly byte[] s_peer = IPAddress.Parse("203.0.113.7").GetAddressBytes();
    private static readonly byte[] s_peer6 = IPAddress.Parse("2001:db8::7").GetAddressBytes();
    private const ushort PeerPort = 40060;

    private static readonly StunEndpoints s_endpoints = new(IPAddress.Parse("203.0.113.10"), 3478, IPAddress.Parse("203.0.113.11"), 3479);

    private static byte[] Request(string hex)
    {
        byte[] bytes = Hex.Parse(hex);
        BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(2), (ushort)(bytes.Length - 20));
        return bytes;
    }

    private static (ReflectorOutcome Outcome, byte[] Reply, int SendFrom, ushort ReplyPort) Answer(ReflectorResponder responder,
        byte[] request, byte[]? peer = null, StunEndpoints? endpoints = null, int receivedOn = 0, long now = 1)
    {
        var reply = new byte[ReflectorResponder.MaxReplyLength];
        ReflectorOutcome outcome = responder.Answer(request, peer ?? s_peer, PeerPort, 0, endpoints, receivedOn, now, reply,
            out int length, out int sendFrom, out ushort replyPort);
        return (outcome, reply.AsSpan(0, length).ToArray(), sendFrom, replyPort);
    }

    private static readonly ReflectorResponder s_plain = new("", strictSize: false, rateLimiter: null);

    [Fact]
    public void ADatagramThatIsNotStunGetsTheTextLine()
    {
        var (outcome, reply, _, _) = Answer(s_plain, Encoding.ASCII.GetBytes("req from udpload\n"));
        Assert.Equal(ReflectorOutcome.Text, outcome);
        Assert.Equal("Your address is ('203.0.113.7', 40060)\n", Encoding.ASCII.GetString(reply));
        Assert.Equal(ReflectorOutcome.Text, Answer(s_plain, Array.Empty<byte>()).Outcome);
    }

    [Fact]
    public void ABindingRequestGetsXorMappedAddressAndNothingElse()
    {
        var (outcome, reply, sendFrom, replyPort) = Answer(s_plain, CapturedRequests.StunClientBinding);
        Assert.Equal(ReflectorOutcome.StunSuccess, outcome);
        var answer = new StunAnswer(reply);
        Assert.Equal(StunMessageType.BindingSuccessResponse, answer.Type);
        Assert.Equal(CapturedRequests.StunClientBinding[4..20], answer.Transaction);
        Assert.Equal(new[] { StunAttribute.XorMappedAddress }, answer.Types);
        Assert.Equal((new IPAddress(s_peer), PeerPort), answer.XorMapped());
        Assert.Equal(0, sendFrom);
        Assert.Equal(PeerPort, replyPort);
    }

    [Fact]
    public void Ipv6PeersGetAnIpv6XorMappedAddress()
    {
        var (_, reply, _, _) = Answer(s_plain, CapturedRequests.StunClientBinding, s_peer6);
        Assert.Equal((new IPAddress(s_peer6), PeerPort), new StunAnswer(reply).XorMapped());
    }

    [Fact]
    public void FingerprintOnlyWhenTheRequestHadOneAndSoftwareOnlyWhenConfigured()
    {
        var withSoftware = new ReflectorResponder("postern test", strictSize: false, rateLimiter: null);
        byte[] request = Hex.Parse("000100082112a4420102030405060708090a0b0c802800045b20f9cc");
        var answer = new StunAnswer(Answer(withSoftware, request).Reply);
        Assert.Equal(new[] { StunAttribute.XorMappedAddress, StunAttribute.Software, StunAttribute.Fingerprint }, answer.Types);
        Assert.Equal("postern test"u8.ToArray(), answer.Value(StunAttribute.Software));
        byte[] reply = Answer(withSoftware, request).Reply;
        Assert.Equal(StunParseStatus.NotRequest, StunRequest.TryParse(reply, out StunRequest parsed));
        Assert.True(parsed.HasFingerprint); // and it validates, or TryParse would say Malformed

        Assert.DoesNotContain(StunAttribute.Software, new StunAnswer(Answer(s_plain, request).Reply).Types);
        Assert.DoesNotContain(StunAttribute.Fingerprint, new StunAnswer(Answer(s_plain, CapturedRequests.StunClientBinding).Reply).Types);
    }

    [Fact]
    public void ClassicRequestsGetMappedAddressWithTheWholeTransactionIdEchoed()
    {
        byte[] request = Hex.Parse("00010000 f00102030405060708090a0b0c0d0e0f");
        var (outcome, reply, _, _) = Answer(s_plain, request);
        Assert.Equal(ReflectorOutcome.StunSuccess, outcome);
        var answer = new StunAnswer(reply);
        Assert.Equal(request[4..20], answer.Transaction);
        Assert.Equal(new[] { StunAttribute.MappedAddress }, answer.Types);
        Assert.Equal((new IPAddress(s_peer), PeerPort), answer.Plain(StunAttribute.MappedAddress));
    }

    [Fact]
    public void ClassicRequestsToAnRfc5780ServerAlsoGetSourceAndChangedAddress()
    {
        byte[] request = Hex.Parse("00010000 f00102030405060708090a0b0c0d0e0f");
        var answer = new StunAnswer(Answer(s_plain, request, endpoints: s_endpoints).Reply);
        Assert.Equal(new[] { StunAttribute.MappedAddress, StunAttribute.SourceAddress, StunAttribute.ChangedAddress }, answer.Types);
        Assert.Equal((IPAddress.Parse("203.0.113.11"), (ushort)3479), answer.Plain(StunAttribute.ChangedAddress));
    }

    [Theory]
    [InlineData("0011")] // Binding indication
    [InlineData("0101")] // Binding success response
    [InlineData("0111")] // Binding error response
    public void IndicationsAndResponsesAreNeverAnswered(string type)
    {
        var (outcome, reply, _, _) = Answer(s_plain, Hex.Parse(type + "00002112a4420102030405060708090a0b0c"));
        Assert.Equal(ReflectorOutcome.Ignored, outcome);
        Assert.Empty(reply);
    }

    [Fact]
    public void MalformedRequestsAreDropped()
    {
        var (outcome, reply, _, _) = Answer(s_plain, Request("000100002112a4420102030405060708090a0b0c 8028 0004 00000000"));
        Assert.Equal(ReflectorOutcome.Malformed, outcome);
        Assert.Empty(reply);
    }

    [Fact]
    public void UnknownComprehensionRequiredAttributesGet420ListingThem()
    {
        var (outcome, reply, _, _) = Answer(s_plain, Rfc5769Vectors.SampleRequest);
        Assert.Equal(ReflectorOutcome.StunError, outcome);
        var answer = new StunAnswer(reply);
        Assert.Equal(StunMessageType.BindingErrorResponse, answer.Type);
        Assert.Equal(Hex.Parse("00000414") , answer.Value(StunAttribute.ErrorCode)[..4]);
        Assert.Equal(Hex.Parse("0024"), answer.Value(StunAttribute.UnknownAttributes));
        Assert.Equal(StunAttribute.Fingerprint, answer.Types.Last());
    }

    [Fact]
    public void WithoutAnAlternateAddressChangeRequestGets420()
    {
        var answer = new StunAnswer(Answer(s_plain, CapturedRequests.NatDiscoveryChangeIpAndPort).Reply);
        Assert.Equal(StunMessageType.BindingErrorResponse, answer.Type);
        Assert.Equal(Hex.Parse("0003"), answer.Value(StunAttribute.UnknownAttributes));
        Assert.DoesNotContain(StunAttribute.OtherAddress, answer.Types);

        // A CHANGE-REQUEST asking for no change is simply answered.
        var (outcome, _, _, _) = Answer(s_plain, Request("000100002112a4420102030405060708090a0b0c 0003 0004 00000000"));
        Assert.Equal(ReflectorOutcome.StunSuccess, outcome);
    }

    [Fact]
    public void WithoutAnAlternateAddressResponsePortGets420()
    {
        var answer = new StunAnswer(Answer(s_plain, CapturedRequests.StunClientResponsePortAndChange).Reply);
        Assert.Equal(Hex.Parse("0003 0027"), answer.Value(StunAttribute.UnknownAttributes));
    }

    [Theory]
    [InlineData(0, 0, 0)]
    [InlineData(0, 2, 1)] // change port
    [InlineData(0, 4, 2)] // change IP
    [InlineData(0, 6, 3)] // both
    [InlineData(3, 6, 0)] // both, from the alternate-alternate address
    [InlineData(1, 4, 3)]
    public void Rfc5780AnswersComeFromTheAddressAskedForAndSaySo(int receivedOn, int flags, int expectedFrom)
    {
        byte[] request = Request($"000100002112a4420102030405060708090a0b0c 0003 0004 0000000{flags}");
        var (outcome, reply, sendFrom, _) = Answer(s_plain, request, endpoints: s_endpoints, receivedOn: receivedOn);
        Assert.Equal(ReflectorOutcome.StunSuccess, outcome);
        Assert.Equal(expectedFrom, sendFrom);
        var answer = new StunAnswer(reply);
        Assert.Equal(new[] { StunAttribute.XorMappedAddress, StunAttribute.ResponseOrigin, StunAttribute.OtherAddress }, answer.Types);
        Assert.Equal((s_endpoints.IPAddressOf(expectedFrom), s_endpoints.Port(expectedFrom)), answer.Plain(StunAttribute.ResponseOrigin));
        int other = receivedOn ^ 3;
        Assert.Equal((s_endpoints.IPAddressOf(other), s_endpoints.Port(other)), answer.Plain(StunAttribute.OtherAddress));
    }

    [Fact]
    public void Rfc5780ResponsePortRedirectsTheAnswerToThatPort()
    {
        var (outcome, _, sendFrom, replyPort) = Answer(s_plain, CapturedRequests.StunClientResponsePortAndChange, endpoints: s_endpoints);
        Assert.Equal(ReflectorOutcome.StunSuccess, outcome);
        Assert.Equal(56792, replyPort);
        Assert.Equal(3, sendFrom);
    }

    [Fact]
    public void OtherMethodsGet400()
    {
        var (outcome, reply, _, _) = Answer(s_plain, Hex.Parse("000300002112a4420102030405060708090a0b0c"));
        Assert.Equal(ReflectorOutcome.StunError, outcome);
        var answer = new StunAnswer(reply);
        Assert.Equal(0x0113, answer.Type);
        Assert.Equal(Hex.Parse("00000400"), answer.Value(StunAttribute.ErrorCode)[..4]);
    }

    [Fact]
    public void StrictSizeNeverAnswersWithMoreBytesThanTheRequest()
    {
        var strict = new ReflectorResponder("some software", strictSize: true, rateLimiter: null);
        Assert.Equal(ReflectorOutcome.Oversize, Answer(strict, CapturedRequests.StunClientBinding).Outcome);
        Assert.Equal(ReflectorOutcome.Oversize, Answer(strict, "hello\n"u8.ToArray()).Outcome);
        // PADDING (RFC 5780 section 7.6) buys room for the answer.
        byte[] padded = Request("000100002112a4420102030405060708090a0b0c 0026 0028" + new string('0', 80));
        var (outcome, reply, _, _) = Answer(strict, padded);
        Assert.Equal(ReflectorOutcome.StunSuccess, outcome);
        Assert.InRange(reply.Length, 1, padded.Length);
        byte[] longLine = Encoding.ASCII.GetBytes(new string('x', 63) + "\n");
        var text = Answer(strict, longLine);
        Assert.Equal(ReflectorOutcome.Text, text.Outcome);
        Assert.InRange(text.Reply.Length, 1, longLine.Length);
    }

    [Fact]
    public void RateLimitingHoldsOneSourceToItsBudgetWhileAnotherIsServed()
    {
        var limiter = new RateLimiter(new RateLimitOptions { PerSourceRate = 10, PerSourceBurst = 5, GlobalRate = 0 }, frequency: 1000);
        var responder = new ReflectorResponder("", strictSize: false, rateLimiter: limiter);
        int answered = 0;
        for (int i = 0; i < 100; i++)
        {
            if (Answer(responder, CapturedRequests.StunClientBinding, now: 1000).Outcome == ReflectorOutcome.StunSuccess)
            {
                answered++;
            }
        }
        Assert.Equal(5, answered);
        Assert.Equal(ReflectorOutcome.RateLimited, Answer(responder, CapturedRequests.StunClientBinding, now: 1000).Outcome);
        Assert.Equal(ReflectorOutcome.StunSuccess, Answer(responder, CapturedRequests.StunClientBinding, s_peer6, now: 1000).Outcome);
        // A tenth of a second later the source has one answer again (10 per second).
        Assert.Equal(ReflectorOutcome.StunSuccess, Answer(responder, CapturedRequests.StunClientBinding, now: 1100).Outcome);
        Assert.Equal(ReflectorOutcome.RateLimited, Answer(responder, CapturedRequests.StunClientBinding, now: 1100).Outcome);
        // Malformed and ignored messages cost nothing and are not counted as rate limited.
        Assert.Equal(ReflectorOutcome.Ignored, Answer(responder, Hex.Parse("010100002112a4420102030405060708090a0b0c"), now: 1100).Outcome);
    }

    [Fact]
    public void AnsweringAllocatesNothing()
    {
        var limiter = new RateLimiter(new RateLimitOptions { PerSourceRate = 1_000_000, PerSourceBurst = 1_000_000 });
        var responder = new ReflectorResponder("postern", strictSize: false, rateLimiter: limiter);
        byte[][] requests =
        {
            CapturedRequests.StunClientBinding, CapturedRequests.NatDiscoveryChangeIpAndPort,
            CapturedRequests.StunClientResponsePortAndChange, Rfc5769Vectors.SampleRequest,
            "req from udpload\n"u8.ToArray(), Hex.Parse("00010000 f00102030405060708090a0b0c0d0e0f"),
        };
        var reply = new byte[ReflectorResponder.MaxReplyLength];
        void Run(int rounds)
        {
            for (int i = 0; i < rounds; i++)
            {
                foreach (byte[] request in requests)
                {
                    responder.Answer(request, i % 2 == 0 ? s_peer : s_peer6, PeerPort, 0, i % 3 == 0 ? s_endpoints : null, i & 3,
                        Stopwatch.GetTimestamp(), reply, out _, out _, out _);
                }
            }
        }
        Run(100); // JIT and static initialisation
        long before = GC.GetAllocatedBytesForCurrentThread();
        Run(10_000);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
