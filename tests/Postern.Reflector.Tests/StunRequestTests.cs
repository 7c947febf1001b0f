using System.Buffers.Binary;
using Postern.Wire;

namespace Postern.Reflector.Tests;

public class StunRequestTests
{
    [Fact]
    public void Rfc5769SampleRequestIsARequestWithAValidFingerprintAndPriorityUnknown()
    {
        Assert.Equal(StunParseStatus.Request, StunRequest.TryParse(Rfc5769Vectors.SampleRequest, out StunRequest request));
        Assert.True(request.HasFingerprint);
        Assert.False(request.IsClassic);
        Assert.Equal(StunMessageType.MethodBinding, request.Method);
        // PRIORITY (0x0024, ICE) is comprehension-required and unknown to a Binding server;
        // ICE-CONTROLLED (0x8029) is optional; USERNAME and MESSAGE-INTEGRITY are understood.
        Assert.Equal(1, request.UnknownCount);
        Assert.Equal(0x0024, request.Unknown[0]);
    }

    [Fact]
    public void Rfc5769SampleResponsesAreWellFormedButNeverRequests()
    {
        Assert.Equal(StunParseStatus.NotRequest, StunRequest.TryParse(Rfc5769Vectors.SampleIpv4Response, out StunRequest v4));
        Assert.True(v4.HasFingerprint);
        Assert.Equal(StunMessageType.ClassSuccessResponse, v4.Class);
        Assert.Equal(StunParseStatus.NotRequest, StunRequest.TryParse(Rfc5769Vectors.SampleIpv6Response, out _));
    }

    [Fact]
    public void AChangedByteUnderTheFingerprintMakesTheRequestMalformed()
    {
        byte[] request = (byte[])Rfc5769Vectors.SampleRequest.Clone();
        request[24] ^= 0x20; // 'S' of SOFTWARE becomes 's'
        Assert.Equal(StunParseStatus.Malformed, StunRequest.TryParse(request, out _));
    }

    [Fact]
    public void CapturedStunClientRequestIsAPlainBindingRequest()
    {
        Assert.Equal(StunParseStatus.Request, StunRequest.TryParse(CapturedRequests.StunClientBinding, out StunRequest request));
        Assert.False(request.IsClassic);
        Assert.False(request.HasFingerprint);
        Assert.False(request.HasChangeRequest);
        Assert.Equal(0, request.UnknownCount);
    }

    [Fact]
    public void CapturedNatDiscoveryRequestAsksToChangeIpAndPort()
    {
        Assert.Equal(StunParseStatus.Request, StunRequest.TryParse(CapturedRequests.NatDiscoveryChangeIpAndPort, out StunRequest request));
        Assert.True(request.HasChangeRequest);
        Assert.Equal(StunAttribute.ChangeIpFlag | StunAttribute.ChangePortFlag, request.ChangeFlags);
    }

    [Fact]
    public void CapturedStunClientRfc5780RequestCarriesResponsePort()
    {
        Assert.Equal(StunParseStatus.Request, StunRequest.TryParse(CapturedRequests.StunClientResponsePortAndChange, out StunRequest request));
        Assert.True(request.HasResponsePort);
        Assert.Equal(56792, request.ResponsePort);
        Assert.Equal(StunAttribute.ChangeIpFlag | StunAttribute.ChangePortFlag, request.ChangeFlags);
        Assert.Equal(0, request.UnknownCount);
    }

    [Fact]
    public void ARequestWithoutMagicCookieIsRfc3489()
    {
        byte[] classic = Hex.Parse("00010000 000102030405060708090a0b0c0d0e0f");
        Assert.Equal(StunParseStatus.Request, StunRequest.TryParse(classic, out StunRequest request));
        Assert.True(request.IsClassic);
    }

    [Theory]
    [InlineData("")]
    [InlineData("7265712066726f6d2075647066f6164")] // odd text
    [InlineData("000100002112a4420102030405060708090a0b")] // 19 bytes
    [InlineData("400100002112a4420102030405060708090a0b0c")] // top bits set
    [InlineData("000100042112a4420102030405060708090a0b0c")] // length says 4, there are 0
    [InlineData("000100022112a4420102030405060708090a0b0c0000")] // length not a multiple of 4
    public void WhatIsNotFramedAsStunIsNotStun(string hex)
    {
        byte[] bytes = hex.Length % 2 == 0 ? Hex.Parse(hex) : System.Text.Encoding.ASCII.GetBytes(hex);
        Assert.Equal(StunParseStatus.NotStun, StunRequest.TryParse(bytes, out _));
        Assert.False(StunMessage.IsStunFramed(bytes));
    }

    [Theory]
    [InlineData("000100082112a4420102030405060708090a0b0c00030008")] // value runs past the end
    [InlineData("000100082112a4420102030405060708090a0b0c0003000200060000")] // CHANGE-REQUEST of 2 bytes
    [InlineData("000100102112a4420102030405060708090a0b0c8028000400000000")] // FINGERPRINT that does not match
    [InlineData("000100082112a4420102030405060708090a0b0c0027000200000000")] // RESPONSE-PORT of 2 bytes
    public void BrokenAttributesAreMalformed(string hex)
    {
        byte[] bytes = Hex.Parse(hex);
        BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(2), (ushort)(bytes.Length - 20));
        Assert.True(StunMessage.IsStunFramed(bytes));
        Assert.Equal(StunParseStatus.Malformed, StunRequest.TryParse(bytes, out _));
    }

    [Fact]
    public void AnAttributeAfterFingerprintIsMalformed()
    {
        byte[] withFingerprint = Hex.Parse("000100082112a4420102030405060708090a0b0c802800045b20f9cc");
        Assert.Equal(StunParseStatus.Request, StunRequest.TryParse(withFingerprint, out _));
        byte[] after = withFingerprint.Concat(Hex.Parse("80220000")).ToArray();
        BinaryPrimitives.WriteUInt16BigEndian(after.AsSpan(2), (ushort)(after.Length - 20));
        Assert.Equal(StunParseStatus.Malformed, StunRequest.TryParse(after, out _));
    }

    [Fact]
    public void MoreUnknownAttributesThanListedAreStillCounted()
    {
        var bytes = new List<byte>(Hex.Parse("000100002112a4420102030405060708090a0b0c"));
        for (ushort type = 0x7000; type < 0x7008; type++)
        {
            bytes.AddRange(new byte[] { (byte)(type >> 8), (byte)type, 0, 0 });
        }
        byte[] message = bytes.ToArray();
        BinaryPrimitives.WriteUInt16BigEndian(message.AsSpan(2), (ushort)(message.Length - 20));
        Assert.Equal(StunParseStatus.Request, StunRequest.TryParse(message, out StunRequest request));
        Assert.Equal(StunRequest.MaxUnknown, request.UnknownCount);
        Assert.Equal(0x7000, request.Unknown[0]);
    }

    [Theory]
    [InlineData(StunMessageType.MethodBinding, StunMessageType.ClassRequest, 0x0001)]
    [InlineData(StunMessageType.MethodBinding, StunMessageType.ClassIndication, 0x0011)]
    [InlineData(StunMessageType.MethodBinding, StunMessageType.ClassSuccessResponse, 0x0101)]
    [InlineData(StunMessageType.MethodBinding, StunMessageType.ClassErrorResponse, 0x0111)]
    [InlineData(0x003, StunMessageType.ClassRequest, 0x0003)] // TURN Allocate
    [InlineData(0x003, StunMessageType.ClassErrorResponse, 0x0113)]
    public void MessageTypesComposeAndSplitAsRfc8489Figure3(ushort method, int @class, ushort type)
    {
        Assert.Equal(type, StunMessageType.Compose(method, @class));
        Assert.Equal(method, StunMessageType.MethodOf(type));
        Assert.Equal(@class, StunMessageType.ClassOf(type));
    }
}
