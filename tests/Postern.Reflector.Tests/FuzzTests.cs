using System.Buffers.Binary;
using System.Net;
using Postern.Wire;

namespace Postern.Reflector.Tests;

/// <summary>Random bytes, and random damage to real messages with the header's length made to
/// fit (so they get past framing into the attribute walk), must never throw.</summary>
public class FuzzTests
{
    private static readonly StunEndpoints s_endpoints = new(IPAddress.Parse("192.0.2.1"), 3478, IPAddress.Parse("192.0.2.2"), 3479);
    private static readonly ReflectorResponder s_responder = new("fuzz", strictSize: false, rateLimiter: null);

    private static void Exercise(byte[] message, Span<byte> reply)
    {
        StunRequest.TryParse(message, out _);
        var reader = new StunReader(message.Length >= 20 ? message : new byte[20]);
        while (reader.TryRead(out _, out _, out _))
        {
        }
        ReflectorOutcome outcome = s_responder.Answer(message, new byte[] { 192, 0, 2, 9 }, 1, 0, s_endpoints, message.Length & 3, 1,
            reply, out int length, out int sendFrom, out _);
        Assert.InRange(length, 0, ReflectorResponder.MaxReplyLength);
        Assert.InRange(sendFrom, 0, 3);
        if (outcome is ReflectorOutcome.StunSuccess or ReflectorOutcome.StunError)
        {
            Assert.Equal(StunParseStatus.NotRequest, StunRequest.TryParse(reply.Slice(0, length), out _));
        }
        StunMessage.FramedLength(message);
    }

    [Fact]
    public void RandomBytesNeverThrow()
    {
        var random = new Random(2727);
        var reply = new byte[ReflectorResponder.MaxReplyLength];
        for (int i = 0; i < 100_000; i++)
        {
            var message = new byte[random.Next(0, 300)];
            random.NextBytes(message);
            if (random.Next(2) == 0 && message.Length >= 20)
            {
                // Make it look like STUN so that the attribute walk runs.
                message[0] &= 0x3F;
                BinaryPrimitives.WriteUInt16BigEndian(message.AsSpan(2), (ushort)((message.Length - 20) & ~3));
                Array.Resize(ref message, 20 + ((message.Length - 20) & ~3));
                if (random.Next(2) == 0)
                {
                    BinaryPrimitives.WriteUInt32BigEndian(message.AsSpan(4), StunMessage.MagicCookie);
                }
            }
            Exercise(message, reply);
        }
    }

    [Fact]
    public void DamagedRealMessagesNeverThrow()
    {
        byte[][] seeds =
        {
            Rfc5769Vectors.SampleRequest, Rfc5769Vectors.SampleIpv4Response, Rfc5769Vectors.SampleIpv6Response,
            CapturedRequests.StunClientBinding, CapturedRequests.NatDiscoveryChangeIpAndPort, CapturedRequests.StunClientResponsePortAndChange,
        };
        var random = new Random(3478);
        var reply = new byte[ReflectorResponder.MaxReplyLength];
        int malformed = 0;
        for (int i = 0; i < 50_000; i++)
        {
            byte[] message = (byte[])seeds[random.Next(seeds.Length)].Clone();
            int damage = message.Length > 20 ? random.Next(1, 4) : 0;
            for (int d = 0; d < damage; d++)
            {
                message[random.Next(20, message.Length)] = (byte)random.Next(256);
            }
            if (random.Next(4) == 0)
            {
                Array.Resize(ref message, 20 + random.Next(0, (message.Length - 20) / 4) * 4);
                BinaryPrimitives.WriteUInt16BigEndian(message.AsSpan(2), (ushort)(message.Length - 20));
            }
            if (StunRequest.TryParse(message, out _) == StunParseStatus.Malformed)
            {
                malformed++;
            }
            Exercise(message, reply);
        }
        Assert.True(malformed > 1000, $"the damage reached the attribute checks ({malformed} malformed)");
    }
}
