using System.Buffers.Binary;
using System.Net;
using Postern.Wire;

namespace Postern.Reflector.Tests;

/// <summary>The client's parser of answers and indications, on RFC 5769's vectors, on what the
/// reflector writes, and on broken input.</summary>
public class StunResponseTests
{
    private static readonly byte[] s_transaction = Hex.Parse("2112a442b7e7a701bc34d686fa87dfae");
    private static readonly byte[] s_token = Hex.Parse("00112233445566778899aabbccddeeff");

    private delegate void WriterAction(ref StunWriter writer);

    private static byte[] Write(ushort type, WriterAction action, bool fingerprint = true, byte[]? transaction = null)
    {
        var buffer = new byte[1024];
        var writer = new StunWriter(buffer, type, transaction ?? s_transaction);
        action(ref writer);
        if (fingerprint)
        {
            writer.WriteFingerprint();
        }
        int length = writer.Finish();
        Assert.True(length > 0);
        return buffer.AsSpan(0, length).ToArray();
    }

    private static StunResponse Parse(byte[] message)
    {
        Assert.Equal(StunParseStatus.NotRequest, StunResponse.TryParse(message, out StunResponse response));
        return response;
    }

    private static StunAddress At(string endpoint) => StunAddress.FromIPEndPoint(IPEndPoint.Parse(endpoint));

    [Fact]
    public void Rfc5769Ipv4ResponseGivesTheMappedAddress()
    {
        StunResponse response = Parse(Rfc5769Vectors.SampleIpv4Response);
        Assert.True(response.IsSuccess);
        Assert.Equal(StunMessageType.MethodBinding, response.Method);
        Assert.True(response.HasFingerprint);
        Assert.True(response.MappedAddressIsXor);
        Assert.Equal(At("192.0.2.1:32853"), response.MappedAddress);
        Assert.Equal("192.0.2.1:32853", response.MappedAddress.ToString());
        Assert.True(response.Answers(Rfc5769Vectors.Transaction.AsSpan(4)));
        Assert.True(response.Answers(Rfc5769Vectors.Transaction));
        Assert.False(response.Answers(new byte[12]));
        Assert.False(response.HasToken);
        Assert.Equal(0, response.ErrorCode);
    }

    [Fact]
    public void Rfc5769Ipv6ResponseGivesTheMappedAddress()
    {
        StunResponse response = Parse(Rfc5769Vectors.SampleIpv6Response);
        Assert.Equal(6, response.MappedAddress.Family);
        Assert.Equal(new IPEndPoint(IPAddress.Parse("2001:db8:1234:5678:11:2233:4455:6677"), 32853), response.MappedAddress.ToIPEndPoint());
    }

    [Fact]
    public void ABrokenOrMisplacedFingerprintIsMalformed()
    {
        byte[] corrupt = (byte[])Rfc5769Vectors.SampleIpv4Response.Clone();
        corrupt[^1] ^= 1;
        Assert.Equal(StunParseStatus.Malformed, StunResponse.TryParse(corrupt, out _));

        byte[] after = Write(StunMessageType.BindingSuccessResponse, (ref StunWriter w) =>
        {
            w.WriteFingerprint();
            w.WriteBytes(StunAttribute.Software, "x"u8);
        }, fingerprint: false);
        Assert.Equal(StunParseStatus.Malformed, StunResponse.TryParse(after, out _));
    }

    [Fact]
    public void XorMappedAddressWinsOverMappedAddressWhereverItComes()
    {
        StunResponse both = Parse(Write(StunMessageType.BindingSuccessResponse, (ref StunWriter w) =>
        {
            w.WriteAddress(StunAttribute.MappedAddress, At("198.51.100.9:1000"));
            w.WriteXorMappedAddress(IPAddress.Parse("203.0.113.7").GetAddressBytes(), 40060);
            w.WriteXorMappedAddress(IPAddress.Parse("203.0.113.8").GetAddressBytes(), 40061);
        }));
        Assert.True(both.MappedAddressIsXor);
        Assert.Equal(At("203.0.113.7:40060"), both.MappedAddress);

        StunResponse plain = Parse(Write(StunMessageType.BindingSuccessResponse, (ref StunWriter w) =>
            w.WriteAddress(StunAttribute.MappedAddress, At("[2001:db8::9]:1000")), fingerprint: false));
        Assert.False(plain.MappedAddressIsXor);
        Assert.False(plain.HasFingerprint);
        Assert.Equal(At("[2001:db8::9]:1000"), plain.MappedAddress);
    }

    [Fact]
    public void Rfc5780AndRfc3489AddressesAreReadFromTheReflectorsAnswers()
    {
        var endpoints = new StunEndpoints(IPAddress.Parse("203.0.113.10"), 3478, IPAddress.Parse("203.0.113.11"), 3479);
        var responder = new ReflectorResponder("", strictSize: false, rateLimiter: null);
        byte[] peer = IPAddress.Parse("203.0.113.7").GetAddressBytes();
        var reply = new byte[ReflectorResponder.MaxReplyLength];

        // CHANGE-REQUEST ip and port: answered from endpoint 3, OTHER-ADDRESS is endpoint 3 too.
        responder.Answer(CapturedRequests.NatDiscoveryChangeIpAndPort, peer, 40060, 0, endpoints, 0, 1, reply, out int length, out _, out _);
        StunResponse modern = Parse(reply[..length]);
        Assert.Equal(At("203.0.113.7:40060"), modern.MappedAddress);
        Assert.Equal(At("203.0.113.11:3479"), modern.ResponseOrigin);
        Assert.Equal(At("203.0.113.11:3479"), modern.OtherAddress);
        Assert.True(modern.SourceAddress.IsEmpty);

        byte[] classic = Hex.Parse("0001 0000 0102030405060708090a0b0c0d0e0f10");
        responder.Answer(classic, peer, 40060, 0, endpoints, 0, 1, reply, out length, out _, out _);
        StunResponse old = Parse(reply[..length]);
        Assert.True(old.IsClassic);
        Assert.False(old.MappedAddressIsXor);
        Assert.Equal(At("203.0.113.7:40060"), old.MappedAddress);
        Assert.Equal(At("203.0.113.10:3478"), old.SourceAddress);
        Assert.Equal(At("203.0.113.11:3479"), old.ChangedAddress);
        Assert.True(old.OtherAddress.IsEmpty);
        Assert.True(old.Answers(classic.AsSpan(4, 16)));
        Assert.False(old.Answers(classic.AsSpan(8, 12)));
    }

    [Fact]
    public void AnErrorResponseGivesItsNumber()
    {
        var responder = new ReflectorResponder("", strictSize: false, rateLimiter: null);
        var reply = new byte[ReflectorResponder.MaxReplyLength];
        responder.Answer(CapturedRequests.NatDiscoveryChangeIpAndPort, new byte[] { 203, 0, 113, 7 }, 40060, 0, null, 0, 1, reply,
            out int length, out _, out _);
        StunResponse response = Parse(reply[..length]);
        Assert.True(response.IsError);
        Assert.Equal(420, response.ErrorCode);
        Assert.True(response.MappedAddress.IsEmpty);
    }

    [Fact]
    public void RendezvousAttributesAreReadWithAtMostFourPeerLocals()
    {
        byte[] message = Write(StunMessageType.BindingIndication, (ref StunWriter w) =>
        {
            w.WriteXorMappedAddress(IPAddress.Parse("203.0.113.7").GetAddressBytes(), 40060);
            w.WriteBytes(StunAttribute.PosternToken, s_token);
            w.WriteXorAddress(StunAttribute.PosternPeer, At("[2001:db8::2]:50000"));
            for (int i = 1; i <= 5; i++)
            {
                w.WriteXorAddress(StunAttribute.PosternPeerLocal, At($"192.0.2.{i}:{4000 + i}"));
            }
        });
        StunResponse response = Parse(message);
        Assert.True(response.IsIndication);
        Assert.Equal(StunMessageType.BindingIndication, response.MessageType);
        Assert.True(response.HasToken);
        Assert.Equal(s_token, response.TokenBytes.ToArray());
        Assert.Equal(At("[2001:db8::2]:50000"), response.Peer);
        Assert.Equal(4, response.PeerLocalCount);
        Assert.Equal(new[] { At("192.0.2.1:4001"), At("192.0.2.2:4002"), At("192.0.2.3:4003"), At("192.0.2.4:4004") },
            response.PeerLocalAddresses.ToArray());
    }

    [Theory]
    [InlineData(StunAttribute.PosternToken, "00112233445566778899aabbccddee")] // 15 bytes
    [InlineData(StunAttribute.PosternPeer, "0001a147e112a643")]                  // a MAPPED form is fine...
    [InlineData(StunAttribute.PosternPeer, "0003a147e112a643")]                  // ...an unknown family is not
    [InlineData(StunAttribute.PosternPeerLocal, "0002a147e112a643")]             // IPv6 family, IPv4 length
    [InlineData(StunAttribute.XorMappedAddress, "0001a147e112a6")]
    [InlineData(StunAttribute.MappedAddress, "")]
    [InlineData(StunAttribute.OtherAddress, "00010d96cb00710b00")]
    [InlineData(StunAttribute.ErrorCode, "000004")]                               // shorter than 4
    [InlineData(StunAttribute.ErrorCode, "00000764")]                             // class 7
    [InlineData(StunAttribute.ErrorCode, "00000464")]                             // number 100
    public void AnAttributeOfTheWrongFormIsMalformed(ushort type, string hex)
    {
        byte[] value = Hex.Parse(hex);
        byte[] message = Write(StunMessageType.BindingSuccessResponse, (ref StunWriter w) => w.WriteBytes(type, value));
        StunParseStatus status = StunResponse.TryParse(message, out _);
        if (type == StunAttribute.PosternPeer && hex.StartsWith("0001", StringComparison.Ordinal))
        {
            Assert.Equal(StunParseStatus.NotRequest, status);
        }
        else
        {
            Assert.Equal(StunParseStatus.Malformed, status);
        }
    }

    [Fact]
    public void AttributesAfterMessageIntegrityAreIgnored()
    {
        byte[] message = Write(StunMessageType.BindingSuccessResponse, (ref StunWriter w) =>
        {
            w.WriteBytes(StunAttribute.MessageIntegrity, new byte[20]);
            w.WriteBytes(StunAttribute.PosternToken, "short"u8);
            w.WriteXorMappedAddress(new byte[] { 203, 0, 113, 7 }, 1);
        });
        StunResponse response = Parse(message);
        Assert.False(response.HasToken);
        Assert.True(response.MappedAddress.IsEmpty);
        Assert.True(response.HasFingerprint);
    }

    [Fact]
    public void RequestsTextAndCutMessagesAreToldApart()
    {
        Assert.Equal(StunParseStatus.Request, StunResponse.TryParse(CapturedRequests.StunClientBinding, out _));
        Assert.Equal(StunParseStatus.NotStun, StunResponse.TryParse("Your address is ('203.0.113.7', 40060)\n"u8, out _));
        byte[] whole = Rfc5769Vectors.SampleIpv6Response;
        for (int cut = 0; cut < whole.Length; cut++)
        {
            Assert.Equal(StunParseStatus.NotStun, StunResponse.TryParse(whole.AsSpan(0, cut), out _));
        }
        // The header's length claims more attributes than there are bytes for one.
        byte[] overrun = Write(StunMessageType.BindingSuccessResponse, (ref StunWriter w) => w.WriteBytes(StunAttribute.Software, "abcd"u8),
            fingerprint: false);
        BinaryPrimitives.WriteUInt16BigEndian(overrun.AsSpan(22), 8);
        Assert.Equal(StunParseStatus.Malformed, StunResponse.TryParse(overrun, out _));
    }

    [Fact]
    public void ParsingAllocatesNothing()
    {
        byte[] message = Rfc5769Vectors.SampleIpv6Response;
        StunResponse.TryParse(message, out _);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++)
        {
            StunResponse.TryParse(message, out _);
        }
        Assert.Equal(before, GC.GetAllocatedBytesForCurrentThread());
    }
}
