using System.Buffers.Binary;
using System.Net;
using Postern.Wire;
using Xunit;

namespace Postern.Map.Tests;

/// <summary>NAT-PMP (RFC 6886) and PCP (RFC 6887) messages: the bytes of the requests, and every
/// kind of answer that is not the one asked for.</summary>
public sealed class GatewayWireTests
{
    private static readonly byte[] s_nonce = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12 };

    [Fact]
    public void NatPmpRequestsHaveTheRfcsBytes()
    {
        var buffer = new byte[16];
        Assert.Equal(2, NatPmp.WriteExternalAddressRequest(buffer));
        Assert.Equal(new byte[] { 0, 0 }, buffer[..2]);
        Assert.Equal(12, NatPmp.WriteMapRequest(buffer, tcp: false, 40000, 40000, 7200));
        Assert.Equal(new byte[] { 0, 1, 0, 0, 0x9c, 0x40, 0x9c, 0x40, 0, 0, 0x1c, 0x20 }, buffer[..12]);
        Assert.Equal(12, NatPmp.WriteMapRequest(buffer, tcp: true, 40000, 0, 0));
        Assert.Equal(new byte[] { 0, 2, 0, 0, 0x9c, 0x40, 0, 0, 0, 0, 0, 0 }, buffer[..12]);
        Assert.Equal(-1, NatPmp.WriteMapRequest(new byte[11], false, 1, 1, 1));
    }

    private static byte[] NatPmpMapAnswer(byte opcode = 129, ushort result = 0, uint epoch = 1000, ushort internalPort = 40000,
        ushort externalPort = 40001, uint lifetime = 7200)
    {
        var answer = new byte[16];
        answer[1] = opcode;
        BinaryPrimitives.WriteUInt16BigEndian(answer.AsSpan(2), result);
        BinaryPrimitives.WriteUInt32BigEndian(answer.AsSpan(4), epoch);
        BinaryPrimitives.WriteUInt16BigEndian(answer.AsSpan(8), internalPort);
        BinaryPrimitives.WriteUInt16BigEndian(answer.AsSpan(10), externalPort);
        BinaryPrimitives.WriteUInt32BigEndian(answer.AsSpan(12), lifetime);
        return answer;
    }

    [Fact]
    public void ANatPmpMappingAnswerIsRead()
    {
        Assert.Equal(GatewayParseStatus.Ok, NatPmp.TryReadMapResponse(NatPmpMapAnswer(), tcp: false, 40000, out NatPmpResponse answer));
        Assert.Equal(new NatPmpResponse { Result = 0, Epoch = 1000, InternalPort = 40000, ExternalPort = 40001, Lifetime = 7200 }, answer);
    }

    [Fact]
    public void ANatPmpExternalAddressAnswerIsRead()
    {
        byte[] answer = { 0, 128, 0, 0, 0, 0, 0, 9, 203, 0, 113, 1 };
        Assert.Equal(GatewayParseStatus.Ok, NatPmp.TryReadExternalAddressResponse(answer, out NatPmpResponse read));
        Assert.Equal(9u, read.Epoch);
        Assert.Equal(0xcb007101u, read.ExternalAddress);
        Assert.Equal(GatewayParseStatus.Truncated, NatPmp.TryReadExternalAddressResponse(answer[..11], out _));
        // A refusal may stop after the header.
        byte[] refused = { 0, 128, 0, 3, 0, 0, 0, 9 };
        Assert.Equal(GatewayParseStatus.Ok, NatPmp.TryReadExternalAddressResponse(refused, out read));
        Assert.Equal(3, read.Result);
        Assert.Equal("network-failure", NatPmp.ResultName(read.Result));
    }

    [Fact]
    public void NatPmpAnswersToAnotherRequestAreNotTheAnswer()
    {
        Assert.Equal(GatewayParseStatus.WrongOpcode, NatPmp.TryReadMapResponse(NatPmpMapAnswer(opcode: 130), tcp: false, 40000, out _));
        Assert.Equal(GatewayParseStatus.WrongOpcode, NatPmp.TryReadMapResponse(NatPmpMapAnswer(opcode: 1), tcp: false, 40000, out _));
        Assert.Equal(GatewayParseStatus.WrongRequest, NatPmp.TryReadMapResponse(NatPmpMapAnswer(internalPort: 40002), tcp: false, 40000, out _));
        byte[] version = NatPmpMapAnswer();
        version[0] = 2;
        Assert.Equal(GatewayParseStatus.WrongVersion, NatPmp.TryReadMapResponse(version, tcp: false, 40000, out _));
    }

    [Fact]
    public void TruncatedNatPmpAnswersAreRefusedAtEveryLength()
    {
        byte[] answer = NatPmpMapAnswer();
        for (int length = 0; length < answer.Length; length++)
        {
            Assert.NotEqual(GatewayParseStatus.Ok, NatPmp.TryReadMapResponse(answer[..length], tcp: false, 40000, out _));
        }
    }

    private static byte[] PcpAnswer(byte opcode = 0x81, byte result = 0, uint lifetime = 120, uint epoch = 50, byte[]? nonce = null,
        byte protocol = Pcp.ProtocolUdp, ushort internalPort = 40000, ushort externalPort = 40000, string external = "203.0.113.1")
    {
        var answer = new byte[Pcp.MapLength];
        answer[0] = 2;
        answer[1] = opcode;
        answer[3] = result;
        BinaryPrimitives.WriteUInt32BigEndian(answer.AsSpan(4), lifetime);
        BinaryPrimitives.WriteUInt32BigEndian(answer.AsSpan(8), epoch);
        (nonce ?? s_nonce).CopyTo(answer.AsSpan(24));
        answer[36] = protocol;
        BinaryPrimitives.WriteUInt16BigEndian(answer.AsSpan(40), internalPort);
        BinaryPrimitives.WriteUInt16BigEndian(answer.AsSpan(42), externalPort);
        Address16.From(IPAddress.Parse(external)).WriteTo(answer.AsSpan(44));
        return answer;
    }

    [Fact]
    public void APcpMapRequestHasTheRfcsLayout()
    {
        var buffer = new byte[Pcp.MapLength];
        var client = new byte[16];
        Address16.From(IPAddress.Parse("198.51.100.2")).WriteTo(client);
        var any = new byte[16];
        Assert.Equal(60, Pcp.WriteMapRequest(buffer, 7200, client, s_nonce, Pcp.ProtocolTcp, 40000, 40000, any));
        Assert.Equal(new byte[] { 2, 1, 0, 0, 0, 0, 0x1c, 0x20 }, buffer[..8]);
        Assert.Equal(new byte[] { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 198, 51, 100, 2 }, buffer[8..24]);
        Assert.Equal(s_nonce, buffer[24..36]);
        Assert.Equal(new byte[] { 6, 0, 0, 0, 0x9c, 0x40, 0x9c, 0x40 }, buffer[36..44]);
        Assert.Equal(-1, Pcp.WriteMapRequest(buffer, 1, client, s_nonce[..11], 6, 1, 1, any));
    }

    [Fact]
    public void APcpMapAnswerIsRead()
    {
        Assert.Equal(GatewayParseStatus.Ok, Pcp.TryReadMapResponse(PcpAnswer(), s_nonce, Pcp.ProtocolUdp, 40000, out PcpResponse answer));
        Assert.Equal(0, answer.Result);
        Assert.Equal(120u, answer.Lifetime);
        Assert.Equal(50u, answer.Epoch);
        Assert.Equal(40000, answer.ExternalPort);
        Assert.Equal(IPAddress.Parse("203.0.113.1"), answer.ExternalAddress16.ToIPAddress());
    }

    [Fact]
    public void PcpAnswersToAnotherRequestAreNotTheAnswer()
    {
        Assert.Equal(GatewayParseStatus.WrongRequest,
            Pcp.TryReadMapResponse(PcpAnswer(nonce: new byte[12]), s_nonce, Pcp.ProtocolUdp, 40000, out _));
        Assert.Equal(GatewayParseStatus.WrongRequest,
            Pcp.TryReadMapResponse(PcpAnswer(protocol: Pcp.ProtocolTcp), s_nonce, Pcp.ProtocolUdp, 40000, out _));
        Assert.Equal(GatewayParseStatus.WrongRequest,
            Pcp.TryReadMapResponse(PcpAnswer(internalPort: 1), s_nonce, Pcp.ProtocolUdp, 40000, out _));
        Assert.Equal(GatewayParseStatus.WrongOpcode,
            Pcp.TryReadMapResponse(PcpAnswer(opcode: 0x82), s_nonce, Pcp.ProtocolUdp, 40000, out _));
        Assert.Equal(GatewayParseStatus.WrongOpcode,
            Pcp.TryReadMapResponse(PcpAnswer(opcode: 0x01), s_nonce, Pcp.ProtocolUdp, 40000, out _));
    }

    [Fact]
    public void ANatPmpServersVersionZeroAnswerIsWrongVersion()
    {
        byte[] natPmp = { 0, 129, 0, 1, 0, 0, 0, 5 };
        Assert.Equal(GatewayParseStatus.WrongVersion, Pcp.TryReadMapResponse(natPmp, s_nonce, Pcp.ProtocolUdp, 40000, out _));
    }

    [Fact]
    public void MalformedAndTruncatedPcpAnswersAreRefused()
    {
        byte[] answer = PcpAnswer();
        for (int length = 0; length < answer.Length; length++)
        {
            Assert.NotEqual(GatewayParseStatus.Ok, Pcp.TryReadMapResponse(answer[..length], s_nonce, Pcp.ProtocolUdp, 40000, out _));
        }
        Assert.Equal(GatewayParseStatus.Malformed, Pcp.TryReadMapResponse(answer.Concat(new byte[2]).ToArray(), s_nonce, Pcp.ProtocolUdp, 40000, out _));
        Assert.Equal(GatewayParseStatus.Malformed, Pcp.TryReadMapResponse(new byte[1104].Select((_, i) => i < 2 ? answer[i] : (byte)0).ToArray(),
            s_nonce, Pcp.ProtocolUdp, 40000, out _));
    }

    [Fact]
    public void APcpRefusalMayComeWithoutItsPayload()
    {
        byte[] header = PcpAnswer(result: 2)[..Pcp.HeaderLength];
        Assert.Equal(GatewayParseStatus.Ok, Pcp.TryReadMapResponse(header, s_nonce, Pcp.ProtocolUdp, 40000, out PcpResponse answer));
        Assert.Equal("NOT_AUTHORIZED", Pcp.ResultName(answer.Result));
        Assert.Equal(GatewayParseStatus.Truncated, Pcp.TryReadMapResponse(PcpAnswer()[..Pcp.HeaderLength], s_nonce, Pcp.ProtocolUdp, 40000, out _));
    }
}
