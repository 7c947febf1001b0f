using System.Net;
using FsCheck;
using FsCheck.Fluent;
using Postern.Wire;

namespace Postern.Reflector.Tests;

/// <summary>The client's rendezvous request: 160 bytes, read back by the reflector's parser.</summary>
public class RendezvousRequestTests
{
    private static readonly byte[] s_id = Hex.Parse("0102030405060708090a0b0c");
    private static readonly byte[] s_token = Hex.Parse("00112233445566778899aabbccddeeff");

    private static StunAddress At(string endpoint) => StunAddress.FromIPEndPoint(IPEndPoint.Parse(endpoint));

    [Theory]
    [InlineData(0, false)]
    [InlineData(1, false)]
    [InlineData(4, false)]
    [InlineData(4, true)]
    public void TheRequestIs160BytesAndCarriesTokenAndLocals(int count, bool ipv6)
    {
        StunAddress[] locals = Enumerable.Range(1, count)
            .Select(i => At(ipv6 ? $"[2001:db8::{i}]:{5000 + i}" : $"192.0.2.{i}:{5000 + i}")).ToArray();
        var buffer = new byte[512];
        int length = RendezvousRequest.Write(buffer, s_id, s_token, locals);
        Assert.Equal(RendezvousRequest.MinimumLength, length);
        byte[] request = buffer[..length];

        Assert.Equal(StunParseStatus.Request, StunRequest.TryParse(request, out StunRequest parsed));
        Assert.False(parsed.IsClassic);
        Assert.True(parsed.HasFingerprint);
        Assert.Equal(0, parsed.UnknownCount);
        Assert.Equal(StunMessageType.BindingRequest, parsed.MessageType);
        Assert.True(parsed.HasToken);
        Assert.Equal(s_token, ((ReadOnlySpan<byte>)parsed.Token).ToArray());
        Assert.Equal(locals, parsed.LocalAddresses.ToArray());
        Assert.Equal(s_id, request[8..20]);
        int padding = 20 + 20 + locals.Sum(l => l.AttributeLength);
        Assert.Equal(StunAttribute.Padding, System.Buffers.Binary.BinaryPrimitives.ReadUInt16BigEndian(request.AsSpan(padding)));
    }

    [Fact]
    public void TooManyLocalsOrWrongLengthsAreRefusedAndATooSmallBufferFails()
    {
        StunAddress[] five = Enumerable.Range(1, 5).Select(i => At($"192.0.2.{i}:1")).ToArray();
        Assert.Throws<ArgumentException>(() => RendezvousRequest.Write(new byte[512], s_id, s_token, five));
        Assert.Throws<ArgumentException>(() => RendezvousRequest.Write(new byte[512], s_id, s_token[..15], default));
        Assert.Throws<ArgumentException>(() => RendezvousRequest.Write(new byte[512], s_id[..11], s_token, default));
        Assert.Throws<ArgumentException>(() => RendezvousRequest.Write(new byte[512], s_id, s_token, new StunAddress[1]));
        Assert.Equal(-1, RendezvousRequest.Write(new byte[159], s_id, s_token, default));
    }

    [Fact]
    public void AnyLocalsRoundTripThroughTheReflectorsParser()
    {
        Gen<StunAddress> address = Gen.Elements(4, 6).SelectMany(family =>
            Gen.ArrayOf(ArbMap.Default.GeneratorFor<byte>(), family == 4 ? 4 : 16).SelectMany(bytes =>
                ArbMap.Default.GeneratorFor<ushort>().Select(port => StunAddress.Create(bytes, port))));
        Gen<StunAddress[]> locals = Gen.Choose(0, 4).SelectMany(n => Gen.ArrayOf(address, n));
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(500), Prop.ForAll(locals.ToArbitrary(), (StunAddress[] list) =>
        {
            var buffer = new byte[RendezvousRequest.MinimumLength];
            Assert.Equal(RendezvousRequest.MinimumLength, RendezvousRequest.Write(buffer, s_id, s_token, list));
            Assert.Equal(StunParseStatus.Request, StunRequest.TryParse(buffer, out StunRequest parsed));
            Assert.Equal(list, parsed.LocalAddresses.ToArray());
        }));
    }
}
