using System.Net;
using Postern.Wire;

namespace Postern.Reflector.Tests;

public class StunWriterTests
{
    private static readonly byte[] s_transaction = Hex.Parse("2112a4420102030405060708090a0b0c");

    private static byte[] Write(ushort type, byte[] transaction, WriterAction action)
    {
        var buffer = new byte[512];
        var writer = new StunWriter(buffer, type, transaction);
        action(ref writer);
        int length = writer.Finish();
        Assert.True(length > 0);
        return buffer.AsSpan(0, length).ToArray();
    }

    private delegate void WriterAction(ref StunWriter writer);

    [Fact]
    public void XorMappedAddressIpv4MatchesRfc5769()
    {
        byte[] message = Write(StunMessageType.BindingSuccessResponse, Rfc5769Vectors.Transaction,
            (ref StunWriter w) => w.WriteXorMappedAddress(IPAddress.Parse("192.0.2.1").GetAddressBytes(), 32853));
        Assert.Equal(Hex.Parse("0020 0008 0001 a147 e112a643"), message[20..]);
        Assert.Equal(Hex.Parse("0101 000c"), message[..4]);
    }

    [Fact]
    public void XorMappedAddressIpv6MatchesRfc5769()
    {
        byte[] message = Write(StunMessageType.BindingSuccessResponse, Rfc5769Vectors.Transaction,
            (ref StunWriter w) => w.WriteXorMappedAddress(IPAddress.Parse("2001:db8:1234:5678:11:2233:4455:6677").GetAddressBytes(), 32853));
        Assert.Equal(Hex.Parse("0020 0014 0002 a147 0113a9fa a5d3f179 bc25f4b5 bed2b9d9"), message[20..]);
    }

    [Fact]
    public void FingerprintCrcMatchesRfc5769Responses()
    {
        // RFC 8489 section 14.7: CRC-32 of everything before the attribute, XOR 0x5354554e.
        byte[] v4 = Rfc5769Vectors.SampleIpv4Response;
        Assert.Equal(0xc07d4c96u, Crc32.Compute(v4.AsSpan(0, v4.Length - 8)) ^ StunAttribute.FingerprintXor);
        byte[] v6 = Rfc5769Vectors.SampleIpv6Response;
        Assert.Equal(0xc8fb0b4cu, Crc32.Compute(v6.AsSpan(0, v6.Length - 8)) ^ StunAttribute.FingerprintXor);
        Assert.Equal(0xCBF43926u, Crc32.Compute("123456789"u8)); // the CRC-32 check value
    }

    [Fact]
    public void FingerprintIsWrittenLastOverTheFinalLength()
    {
        // Expected bytes from Python: zlib.crc32(header with length 8) ^ 0x5354554e.
        byte[] message = Write(StunMessageType.BindingRequest, s_transaction, (ref StunWriter w) => w.WriteFingerprint());
        Assert.Equal(Hex.Parse("0001 0008 2112a442 0102030405060708090a0b0c 8028 0004 5b20f9cc"), message);
    }

    [Fact]
    public void MappedAddressIsPlain()
    {
        byte[] message = Write(StunMessageType.BindingSuccessResponse, s_transaction,
            (ref StunWriter w) => w.WriteAddress(StunAttribute.MappedAddress, IPAddress.Parse("203.0.113.7").GetAddressBytes(), 40060));
        Assert.Equal(Hex.Parse("0001 0008 0001 9c7c cb007107"), message[20..]);
    }

    [Fact]
    public void ResponseOriginAndOtherAddressAsCapturedFromTheServer()
    {
        // Bytes of a real answer to turnutils_natdiscovery (127.0.0.1:3479, alternate 127.0.0.2:3480).
        byte[] message = Write(StunMessageType.BindingSuccessResponse, s_transaction, (ref StunWriter w) =>
        {
            w.WriteAddress(StunAttribute.ResponseOrigin, IPAddress.Loopback.GetAddressBytes(), 3479);
            w.WriteAddress(StunAttribute.OtherAddress, IPAddress.Parse("127.0.0.2").GetAddressBytes(), 3480);
        });
        Assert.Equal(Hex.Parse("802b0008 0001 0d97 7f000001 802c0008 0001 0d98 7f000002"), message[20..]);
    }

    [Fact]
    public void ErrorCodeAndUnknownAttributesArePaddedWithZeros()
    {
        byte[] message = Write(StunMessageType.BindingErrorResponse, s_transaction, (ref StunWriter w) =>
        {
            w.WriteErrorCode(420, "Unknown Attribute"u8);
            w.WriteUnknownAttributes(new ushort[] { 0x0027 });
        });
        // ERROR-CODE: 0, class 4, number 20, 17 bytes of reason and 3 of padding;
        // UNKNOWN-ATTRIBUTES: one type and 2 bytes of padding.
        Assert.Equal(Hex.Parse("0009 0015 0000 04 14 556e6b6e6f776e20417474726962757465 000000 000a 0002 0027 0000"), message[20..]);
        Assert.Equal(Hex.Parse("0111 0024"), message[..4]);
    }

    [Fact]
    public void SoftwareIsPaddedWithZeros()
    {
        byte[] message = Write(StunMessageType.BindingSuccessResponse, s_transaction,
            (ref StunWriter w) => w.WriteBytes(StunAttribute.Software, "test vector"u8));
        Assert.Equal(Hex.Parse("8022 000b 74657374 20766563 746f7200"), message[20..]);
    }

    [Fact]
    public void WhatDoesNotFitMakesFinishFail()
    {
        var buffer = new byte[30];
        var writer = new StunWriter(buffer, StunMessageType.BindingSuccessResponse, s_transaction);
        writer.WriteXorMappedAddress(new byte[16], 1);
        Assert.Equal(-1, writer.Finish());
        var tooShort = new StunWriter(new byte[10], StunMessageType.BindingSuccessResponse, s_transaction);
        Assert.Equal(-1, tooShort.Finish());
    }

    [Fact]
    public void WrittenMessagesReadBack()
    {
        byte[] message = Write(StunMessageType.BindingRequest, s_transaction, (ref StunWriter w) =>
        {
            w.WriteBytes(StunAttribute.ChangeRequest, new byte[] { 0, 0, 0, 4 });
            w.WriteBytes(StunAttribute.Software, "x"u8);
            w.WriteFingerprint();
        });
        Assert.Equal(StunParseStatus.Request, StunRequest.TryParse(message, out StunRequest request));
        Assert.True(request.HasFingerprint);
        Assert.Equal(StunAttribute.ChangeIpFlag, request.ChangeFlags);
    }
}
