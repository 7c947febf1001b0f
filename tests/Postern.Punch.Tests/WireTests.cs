using System.Net;
using Postern.Punch;
using Postern.Wire;

namespace Postern.Punch.Tests;

public class PunchProbeTests
{
    private static readonly byte[] s_key = PairingCode.ProbeKey("K3F97QXA2MRTP8DW");

    [Fact]
    public void A_probe_round_trips_with_its_observed_address()
    {
        var probe = new PunchProbe { Kind = PunchProbeKind.Answer, Sequence = 7, SenderId = 0x1122334455667788, Nonce = 42 };
        probe.SetObserved(IPAddress.Parse("203.0.113.7").GetAddressBytes(), 40060);
        byte[] datagram = new byte[PunchProbe.Length];
        Assert.Equal(60, probe.Write(datagram, s_key));
        Assert.Equal("PNCH"u8.ToArray(), datagram[..4]);
        Assert.True(PunchProbe.TryRead(datagram, s_key, out PunchProbe read, out bool forged));
        Assert.False(forged);
        Assert.Equal(PunchProbeKind.Answer, read.Kind);
        Assert.Equal(7, read.Sequence);
        Assert.Equal(0x1122334455667788UL, read.SenderId);
        Assert.Equal(42UL, read.Nonce);
        Assert.Equal(40060, read.ObservedPort);
        Assert.Equal(IPAddress.Parse("203.0.113.7").GetAddressBytes(), read.Observed.ToArray());
    }

    [Fact]
    public void Every_flipped_bit_and_another_key_make_it_forged()
    {
        var probe = new PunchProbe { Kind = PunchProbeKind.Probe, Sequence = 1, SenderId = 5, Nonce = 9 };
        byte[] datagram = new byte[PunchProbe.Length];
        probe.Write(datagram, s_key);
        Assert.False(PunchProbe.TryRead(datagram, PairingCode.ProbeKey("K3F97QXA2MRTP8DX"), out _, out bool forged));
        Assert.True(forged);
        for (int bit = 5 * 8; bit < datagram.Length * 8; bit++)
        {
            byte[] copy = (byte[])datagram.Clone();
            copy[bit / 8] ^= (byte)(1 << (bit % 8));
            Assert.False(PunchProbe.TryRead(copy, s_key, out _, out forged));
            Assert.True(forged, $"bit {bit}");
        }
    }

    [Theory]
    [InlineData(59)]
    [InlineData(61)]
    [InlineData(0)]
    public void Another_length_is_no_probe_and_not_forged(int length)
    {
        Assert.False(PunchProbe.TryRead(new byte[length], s_key, out _, out bool forged));
        Assert.False(forged);
    }

    [Theory]
    [InlineData(PunchProbeKind.Switch)]
    [InlineData(PunchProbeKind.SwitchAnswer)]
    public void The_switch_kinds_round_trip(PunchProbeKind kind)
    {
        var probe = new PunchProbe { Kind = kind, Sequence = 3, SenderId = 11, Nonce = 0xFEEDFACE };
        byte[] datagram = new byte[PunchProbe.Length];
        probe.Write(datagram, s_key);
        Assert.True(PunchProbe.TryRead(datagram, s_key, out PunchProbe read, out _));
        Assert.Equal(kind, read.Kind);
        Assert.Equal(0xFEEDFACEUL, read.Nonce);
    }

    [Fact]
    public void An_authentic_probe_of_an_unknown_kind_is_ignored_not_forged()
    {
        var probe = new PunchProbe { Kind = (PunchProbeKind)8, Nonce = 1 };
        byte[] datagram = new byte[PunchProbe.Length];
        probe.Write(datagram, s_key);
        Assert.False(PunchProbe.TryRead(datagram, s_key, out _, out bool forged));
        Assert.False(forged);
    }

    [Fact]
    public void Another_magic_or_version_is_no_probe()
    {
        var probe = new PunchProbe { Kind = PunchProbeKind.Probe };
        byte[] datagram = new byte[PunchProbe.Length];
        probe.Write(datagram, s_key);
        datagram[4] = 2;
        Assert.False(PunchProbe.LooksLikeProbe(datagram));
        datagram[4] = 1;
        datagram[0] = (byte)'X';
        Assert.False(PunchProbe.LooksLikeProbe(datagram));
    }
}

public class Socks5Tests
{
    [Fact]
    public void Udp_header_round_trips_for_both_families()
    {
        byte[] buffer = new byte[64];
        Span<byte> read = stackalloc byte[16];
        foreach (string text in new[] { "203.0.113.9", "2001:db8::9" })
        {
            byte[] address = IPAddress.Parse(text).GetAddressBytes();
            int header = Socks5.WriteUdpHeader(buffer, address, 51820);
            Assert.Equal(address.Length == 4 ? 10 : 22, header);
            Assert.True(Socks5.TryReadUdpHeader(buffer.AsSpan(0, header + 3), read, out int length, out ushort port, out int offset));
            Assert.Equal(address, read[..length].ToArray());
            Assert.Equal(51820, port);
            Assert.Equal(header, offset);
        }
    }

    [Fact]
    public void A_fragment_a_name_or_a_short_header_is_refused()
    {
        Span<byte> read = stackalloc byte[16];
        Assert.False(Socks5.TryReadUdpHeader(new byte[] { 0, 0, 1, 1, 203, 0, 113, 9, 0, 53, 0xAA }, read, out _, out _, out _));
        Assert.False(Socks5.TryReadUdpHeader(new byte[] { 0, 0, 0, 3, 3, (byte)'a', (byte)'b', (byte)'c', 0, 53, 0xAA }, read, out _, out _, out _));
        Assert.False(Socks5.TryReadUdpHeader(new byte[] { 0, 0, 0, 1, 203, 0, 113 }, read, out _, out _, out _));
    }

    [Fact]
    public void The_udp_associate_request_and_reply_are_rfc_1928s()
    {
        byte[] buffer = new byte[32];
        int length = Socks5.WriteRequest(buffer, Socks5.CommandUdpAssociate, new byte[4], 0);
        Assert.Equal(new byte[] { 5, 3, 0, 1, 0, 0, 0, 0, 0, 0 }, buffer[..length]);
        byte[] reply = { 5, 0, 0, 1, 203, 0, 113, 20, 0x1F, 0x90 };
        Assert.Equal(10, Socks5.ReplyLength(reply));
        Span<byte> bound = stackalloc byte[16];
        Assert.True(Socks5.TryReadReply(reply, out byte code, bound, out int boundLength, out ushort port));
        Assert.Equal(0, code);
        Assert.Equal(new byte[] { 203, 0, 113, 20 }, bound[..boundLength].ToArray());
        Assert.Equal(8080, port);
        Assert.Equal(7 + 4, Socks5.ReplyLength(new byte[] { 5, 0, 0, 3, 4 }));
        Assert.Equal(0, Socks5.ReplyLength(new byte[] { 4, 0, 0, 1, 0 }));
    }

    [Fact]
    public void Greeting_and_rfc_1929_credentials()
    {
        byte[] buffer = new byte[600];
        Assert.Equal(new byte[] { 5, 2, 0, 2 }, buffer[..Socks5.WriteGreeting(buffer, new byte[] { 0, 2 })]);
        Assert.Equal(new byte[] { 1, 1, (byte)'u', 2, (byte)'p', (byte)'w' }, buffer[..Socks5.WriteUsernamePassword(buffer, "u"u8, "pw"u8)]);
        Assert.Equal(0, Socks5.WriteUsernamePassword(buffer, new byte[256], "p"u8));
    }
}
