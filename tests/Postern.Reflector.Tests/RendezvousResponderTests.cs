using System.Net;
using FsCheck;
using FsCheck.Fluent;
using Postern.Interop;
using Postern.Wire;

namespace Postern.Reflector.Tests;

/// <summary>The responder with a rendezvous table: what each side is told, the indication, the 403,
/// the size rule, rate limiting and --no-rendezvous.</summary>
public class RendezvousResponderTests
{
    private static readonly byte[] s_token = Hex.Parse("00112233445566778899aabbccddeeff");
    private static readonly byte[] s_wrongToken = Hex.Parse("00112233445566778899aabbccddeefe");

    private sealed record Client(StunAddress Mapping, StunAddress[] Locals, int Listener);

    private static StunAddress At(string endpoint) => StunAddress.FromIPEndPoint(IPEndPoint.Parse(endpoint));

    private static readonly Client s_a = new(At("203.0.113.7:40060"), new[] { At("192.0.2.7:40060"), At("[2001:db8:7::7]:40060") }, 2);
    private static readonly Client s_b = new(At("198.51.100.9:50000"), new[] { At("192.0.2.9:50000") }, 0);
    private static readonly Client s_c = new(At("198.51.100.9:50001"), Array.Empty<StunAddress>(), 0);

    private sealed record Result(ReflectorOutcome Outcome, byte[] Reply, byte[] Indication, RendezvousPeer Route, byte[] Request);

    private static int s_id;

    private static byte[] Request(Client client, byte[]? token = null)
    {
        var id = new byte[12];
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(id, Interlocked.Increment(ref s_id));
        var buffer = new byte[RendezvousRequest.MinimumLength];
        Assert.Equal(buffer.Length, RendezvousRequest.Write(buffer, id, token ?? s_token, client.Locals));
        return buffer;
    }

    private static Result Send(ReflectorResponder responder, Client client, byte[] request, long now = 1)
    {
        var reply = new byte[ReflectorResponder.MaxReplyLength];
        var indication = new byte[ReflectorResponder.MaxReplyLength];
        var route = new UdpDatagram { Port = client.Mapping.Port, Family = (byte)client.Mapping.Family };
        ReflectorOutcome outcome = responder.Answer(request, client.Mapping.Bytes, client.Mapping.Port, 0, null, 0, now, reply,
            out int length, out _, out _, client.Listener, in route, indication, out int indicationLength, out RendezvousPeer sent);
        return new Result(outcome, reply[..length], indication[..indicationLength], sent, request);
    }

    private static Result SendToken(ReflectorResponder responder, Client client, byte[]? token = null, long now = 1) =>
        Send(responder, client, Request(client, token), now);

    private static StunResponse Parse(byte[] message)
    {
        Assert.Equal(StunParseStatus.NotRequest, StunResponse.TryParse(message, out StunResponse response));
        return response;
    }

    private static ReflectorResponder Responder(out RendezvousTable table, bool strictSize = false, RateLimiter? limiter = null)
    {
        table = new RendezvousTable(64);
        return new ReflectorResponder("postern", strictSize, limiter, table);
    }

    [Fact]
    public void TheFirstPeerIsToldItWaitsAndTheSecondGetsItsMappingAndLocals()
    {
        ReflectorResponder responder = Responder(out RendezvousTable table);
        Result first = SendToken(responder, s_a);
        Assert.Equal(ReflectorOutcome.StunSuccess, first.Outcome);
        Assert.Empty(first.Indication);
        StunResponse waiting = Parse(first.Reply);
        Assert.True(waiting.IsSuccess);
        Assert.True(waiting.Answers(first.Request.AsSpan(8, 12)));
        Assert.Equal(s_a.Mapping, waiting.MappedAddress);
        Assert.Equal(s_token, waiting.TokenBytes.ToArray());
        Assert.True(waiting.Peer.IsEmpty);
        Assert.True(waiting.HasFingerprint);
        Assert.DoesNotContain(StunAttribute.Software, new StunAnswer(first.Reply).Types); // no SOFTWARE in rendezvous answers

        Result second = SendToken(responder, s_b);
        StunResponse paired = Parse(second.Reply);
        Assert.Equal(s_b.Mapping, paired.MappedAddress);
        Assert.Equal(s_a.Mapping, paired.Peer);
        Assert.Equal(s_a.Locals, paired.PeerLocalAddresses.ToArray());
        Assert.Equal(s_token, paired.TokenBytes.ToArray());
        Assert.Equal(1, table.Paired);
    }

    [Fact]
    public void PairingSendsTheFirstPeerAnIndicationAlongItsOwnRoute()
    {
        ReflectorResponder responder = Responder(out _);
        Result first = SendToken(responder, s_a);
        Result second = SendToken(responder, s_b);
        Assert.NotEmpty(second.Indication);
        Assert.Equal(s_a.Listener, second.Route.Listener);
        Assert.Equal(s_a.Mapping.Port, second.Route.Route.Port);

        StunResponse indication = Parse(second.Indication);
        Assert.True(indication.IsIndication);
        Assert.Equal(StunMessageType.BindingIndication, indication.MessageType);
        Assert.True(indication.Answers(first.Request.AsSpan(8, 12)), "the indication carries the first peer's last transaction");
        Assert.True(indication.HasFingerprint);
        Assert.Equal(s_a.Mapping, indication.MappedAddress);
        Assert.Equal(s_b.Mapping, indication.Peer);
        Assert.Equal(s_b.Locals, indication.PeerLocalAddresses.ToArray());
        Assert.Equal(s_token, indication.TokenBytes.ToArray());

        // Later requests from either mapping get the paired answer again, with no new indication.
        Result again = SendToken(responder, s_a);
        Assert.Empty(again.Indication);
        Assert.Equal(s_b.Mapping, Parse(again.Reply).Peer);
        Assert.Equal(s_a.Mapping, Parse(SendToken(responder, s_b).Reply).Peer);
    }

    [Fact]
    public void TheIndicationUsesTheFirstPeersLatestTransaction()
    {
        ReflectorResponder responder = Responder(out _);
        SendToken(responder, s_a);
        Result latest = SendToken(responder, s_a);
        Result second = SendToken(responder, s_b);
        Assert.True(Parse(second.Indication).Answers(latest.Request.AsSpan(8, 12)));
    }

    [Fact]
    public void AThirdMappingGets403()
    {
        ReflectorResponder responder = Responder(out RendezvousTable table);
        SendToken(responder, s_a);
        SendToken(responder, s_b);
        Result third = SendToken(responder, s_c);
        Assert.Equal(ReflectorOutcome.StunError, third.Outcome);
        StunResponse refused = Parse(third.Reply);
        Assert.True(refused.IsError);
        Assert.Equal(403, refused.ErrorCode);
        Assert.True(refused.Peer.IsEmpty);
        Assert.Empty(third.Indication);
        Assert.Equal(1, table.Refused);
    }

    [Fact]
    public void AWrongTokenNeverPairs()
    {
        ReflectorResponder responder = Responder(out RendezvousTable table);
        SendToken(responder, s_a);
        Result other = SendToken(responder, s_b, s_wrongToken);
        Assert.Empty(other.Indication);
        StunResponse waiting = Parse(other.Reply);
        Assert.True(waiting.Peer.IsEmpty);
        Assert.Equal(s_wrongToken, waiting.TokenBytes.ToArray());
        Assert.Equal(0, table.Paired);
        Assert.Equal(2, table.Registered);
    }

    [Fact]
    public void WithoutATableOrOverTcpTheTokenIsIgnored()
    {
        var plain = new ReflectorResponder("", strictSize: false, rateLimiter: null, rendezvous: null);
        Result answer = SendToken(plain, s_a);
        Assert.Equal(ReflectorOutcome.StunSuccess, answer.Outcome);
        Assert.Equal(new[] { StunAttribute.XorMappedAddress, StunAttribute.Fingerprint }, new StunAnswer(answer.Reply).Types);

        ReflectorResponder responder = Responder(out RendezvousTable table);
        var reply = new byte[ReflectorResponder.MaxReplyLength];
        responder.Answer(Request(s_a), s_a.Mapping.Bytes, s_a.Mapping.Port, 0, null, 0, 1, reply, out int length, out _, out _);
        Assert.False(Parse(reply[..length]).HasToken);
        Assert.Equal(0, table.Registered);
    }

    [Fact]
    public void AFullTableAnswersLikeAServerWithoutRendezvous()
    {
        var table = new RendezvousTable(1);
        var responder = new ReflectorResponder("", false, null, table);
        SendToken(responder, s_a);
        Result full = SendToken(responder, s_b, s_wrongToken);
        Assert.Equal(ReflectorOutcome.StunSuccess, full.Outcome);
        StunResponse answer = Parse(full.Reply);
        Assert.False(answer.HasToken);
        Assert.Equal(s_b.Mapping, answer.MappedAddress);
        Assert.Equal(1, table.TableFull);
    }

    [Fact]
    public void ARateLimitedRequestLeavesTheTableAlone()
    {
        var limiter = new RateLimiter(new RateLimitOptions { PerSourceRate = 1, PerSourceBurst = 1, GlobalRate = 0 }, frequency: 1000);
        ReflectorResponder responder = Responder(out RendezvousTable table, limiter: limiter);
        Assert.Equal(ReflectorOutcome.StunSuccess, SendToken(responder, s_a, now: 1).Outcome);
        Assert.Equal(ReflectorOutcome.StunSuccess, SendToken(responder, s_b, s_wrongToken, now: 1).Outcome);
        // s_c shares s_b's address (one source): over its budget, it neither pairs nor registers.
        Result limited = SendToken(responder, s_c, now: 2);
        Assert.Equal(ReflectorOutcome.RateLimited, limited.Outcome);
        Assert.Empty(limited.Reply);
        Assert.Empty(limited.Indication);
        Assert.Equal(0, table.Paired);
        Assert.Equal(2, table.Registered);
    }

    /// <summary>A rendezvous request of <paramref name="length"/> bytes: token, PADDING, FINGERPRINT.</summary>
    private static byte[] Bare(int length)
    {
        var buffer = new byte[256];
        var writer = new StunWriter(buffer, StunMessageType.BindingRequest,
            Hex.Parse("2112a442").Concat(BitConverter.GetBytes(Interlocked.Increment(ref s_id))).Concat(new byte[8]).ToArray());
        writer.WriteBytes(StunAttribute.PosternToken, s_token);
        if (length > 48)
        {
            writer.WritePadding(length - 8);
        }
        writer.WriteFingerprint();
        byte[] request = buffer[..writer.Finish()];
        Assert.Equal(length, request.Length);
        return request;
    }

    [Fact]
    public void AShortRequestGetsWhatFitsAndStrictSizeNoMore()
    {
        // The paired answer to an IPv4 peer without locals is 72 bytes (header, XOR-MAPPED-ADDRESS,
        // POSTERN-TOKEN, POSTERN-PEER, FINGERPRINT): a 60-byte request may have it, no locals.
        ReflectorResponder loose = Responder(out _);
        SendToken(loose, s_a);
        Result paired = Send(loose, s_b, Bare(60));
        Assert.Equal(ReflectorOutcome.StunSuccess, paired.Outcome);
        Assert.Equal(72, paired.Reply.Length);
        Assert.Equal(s_a.Mapping, Parse(paired.Reply).Peer);
        Assert.Equal(0, Parse(paired.Reply).PeerLocalCount);
        Assert.NotEmpty(paired.Indication);

        // 56 bytes: not even that fits; nothing is sent, the indication neither.
        ReflectorResponder tooShort = Responder(out RendezvousTable table);
        SendToken(tooShort, s_a);
        Result dropped = Send(tooShort, s_b, Bare(56));
        Assert.Equal(ReflectorOutcome.Oversize, dropped.Outcome);
        Assert.Empty(dropped.Reply);
        Assert.Empty(dropped.Indication);
        Assert.Equal(1, table.Paired);

        // --strict-size: 72 bytes need a 72-byte request.
        ReflectorResponder strict = Responder(out _, strictSize: true);
        SendToken(strict, s_a);
        Assert.Equal(ReflectorOutcome.Oversize, Send(strict, s_b, Bare(68)).Outcome);
        ReflectorResponder strictEnough = Responder(out _, strictSize: true);
        SendToken(strictEnough, s_a);
        Result exact = Send(strictEnough, s_b, Bare(72));
        Assert.Equal(ReflectorOutcome.StunSuccess, exact.Outcome);
        Assert.Equal(72, exact.Reply.Length);
    }

    /// <summary>Whatever the families, locals, padding and --strict-size: no answer or indication
    /// is longer than the rule allows, and the locals that are sent are announced ones, in order.</summary>
    [Fact]
    public void TheSizeRuleHoldsForAnyRequests()
    {
        Gen<StunAddress> address = Gen.Elements(
            At("203.0.113.1:1"), At("198.51.100.200:65535"), At("[2001:db8::1]:2"), At("[2001:db8:ffff::ffff]:3478"));
        Gen<StunAddress[]> locals = Gen.Choose(0, 4).SelectMany(n => Gen.ArrayOf(address, n));
        Gen<(StunAddress, StunAddress[], int)> side = address.SelectMany(m => locals.SelectMany(l =>
            Gen.Choose(0, 160).Select(pad => (m, l, pad))));
        Gen<((StunAddress, StunAddress[], int), (StunAddress, StunAddress[], int), bool)> cases =
            side.SelectMany(a => side.SelectMany(b => Gen.Elements(false, true).Select(strict => (a, b, strict))));

        Check.One(Config.QuickThrowOnFailure.WithMaxTest(500), Prop.ForAll(cases.ToArbitrary(), c =>
        {
            var ((mapA, localsA, padA), (mapB, localsB, padB), strict) = c;
            if (mapA == mapB)
            {
                mapB.Port ^= 1;
            }
            var a = new Client(mapA, localsA, 0);
            var b = new Client(mapB, localsB, 1);
            ReflectorResponder responder = Responder(out _, strictSize: strict);
            byte[] requestA = Padded(localsA, padA);
            byte[] requestB = Padded(localsB, padB);
            Result first = Send(responder, a, requestA);
            Result second = Send(responder, b, requestB);
            Result again = Send(responder, a, requestA);

            AssertFits(first, requestA.Length, strict ? 0 : mapA.AttributeLength, default);
            AssertFits(second, requestB.Length, strict ? 0 : mapA.AttributeLength, localsA);
            AssertFits(again, requestA.Length, strict ? 0 : mapB.AttributeLength, localsB);
            if (second.Indication.Length > 0)
            {
                Assert.InRange(second.Indication.Length, 1, requestA.Length + (strict ? 0 : mapB.AttributeLength));
                AssertLocalsAreAnnounced(Parse(second.Indication), localsB);
            }
            else
            {
                int smallest = 20 + mapA.AttributeLength + 20 + mapB.AttributeLength + 8;
                Assert.True(second.Reply.Length == 0 || requestA.Length + (strict ? 0 : mapB.AttributeLength) < smallest,
                    "an indication is left out only when it cannot fit");
            }
        }));
    }

    /// <summary>A rendezvous request with its locals, padded (or not) towards 20 + pad bytes.</summary>
    private static byte[] Padded(StunAddress[] locals, int pad)
    {
        var buffer = new byte[512];
        var writer = new StunWriter(buffer, StunMessageType.BindingRequest,
            Hex.Parse("2112a442").Concat(BitConverter.GetBytes(Interlocked.Increment(ref s_id))).Concat(new byte[8]).ToArray());
        writer.WriteBytes(StunAttribute.PosternToken, s_token);
        foreach (StunAddress local in locals)
        {
            writer.WriteXorAddress(StunAttribute.PosternLocal, in local);
        }
        writer.WritePadding(20 + pad);
        writer.WriteFingerprint();
        return buffer[..writer.Finish()];
    }

    private static void AssertFits(Result result, int requestLength, int allowance, StunAddress[]? locals)
    {
        Assert.InRange(result.Reply.Length, 0, requestLength + allowance);
        if (result.Reply.Length > 0 && locals is not null)
        {
            AssertLocalsAreAnnounced(Parse(result.Reply), locals);
        }
        if (result.Reply.Length == 0)
        {
            Assert.Equal(ReflectorOutcome.Oversize, result.Outcome);
        }
    }

    /// <summary>The locals sent are announced ones, in order (one that did not fit may be skipped
    /// for a smaller one after it).</summary>
    private static void AssertLocalsAreAnnounced(StunResponse response, StunAddress[] announced)
    {
        int next = 0;
        foreach (StunAddress local in response.PeerLocalAddresses)
        {
            while (next < announced.Length && announced[next] != local)
            {
                next++;
            }
            Assert.True(next < announced.Length, $"{local} was not announced in this order");
            next++;
        }
    }

    [Fact]
    public void RendezvousAllocatesNothingPerRequest()
    {
        ReflectorResponder responder = Responder(out _);
        byte[] requestA = Request(s_a);
        byte[] requestB = Request(s_b);
        byte[] peerA = s_a.Mapping.Bytes.ToArray();
        byte[] peerB = s_b.Mapping.Bytes.ToArray();
        var reply = new byte[ReflectorResponder.MaxReplyLength];
        var indication = new byte[ReflectorResponder.MaxReplyLength];
        var route = default(UdpDatagram);
        void Round()
        {
            responder.Answer(requestA, peerA, s_a.Mapping.Port, 0, null, 0, 1, reply, out _, out _, out _, 0, in route, indication, out _, out _);
            responder.Answer(requestB, peerB, s_b.Mapping.Port, 0, null, 0, 1, reply, out _, out _, out _, 0, in route, indication, out _, out _);
        }
        Round();
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++)
        {
            Round();
        }
        Assert.Equal(before, GC.GetAllocatedBytesForCurrentThread());
    }
}
