using Postern.Wire;

namespace Postern.Wire.Tests;

/// <summary>The server's side of the SOCKS5 codec, on the bytes real clients send (curl 7.88's
/// greeting with and without credentials, PySocks' UDP header) and on every way to be short or wrong.</summary>
public class Socks5ServerTests
{
    [Fact]
    public void Greetings_of_curl_are_read_with_their_methods()
    {
        byte[] withCredentials = { 0x05, 0x02, 0x00, 0x02 };
        byte[] without = { 0x05, 0x01, 0x00 };
        Assert.Equal(4, Socks5.GreetingLength(withCredentials));
        Assert.True(Socks5.Offers(withCredentials, Socks5.MethodUsernamePassword));
        Assert.True(Socks5.Offers(withCredentials, Socks5.MethodNoAuthentication));
        Assert.Equal(3, Socks5.GreetingLength(without));
        Assert.False(Socks5.Offers(without, Socks5.MethodUsernamePassword));
    }

    [Theory]
    [InlineData(new byte[] { 0x04, 0x01 })] // SOCKS4
    [InlineData(new byte[] { 0x05, 0x00 })] // no methods
    [InlineData(new byte[] { 0x05 })]
    public void Greetings_that_are_not_socks5_have_no_length(byte[] head) => Assert.Equal(0, Socks5.GreetingLength(head));

    [Fact]
    public void A_greeting_shorter_than_it_says_offers_nothing() =>
        Assert.False(Socks5.Offers(new byte[] { 0x05, 0x03, 0x00 }, Socks5.MethodNoAuthentication));

    [Fact]
    public void Username_password_length_is_known_step_by_step()
    {
        byte[] message = { 0x01, 0x05, (byte)'a', (byte)'l', (byte)'i', (byte)'c', (byte)'e', 0x03, (byte)'p', (byte)'w', (byte)'d' };
        Assert.Equal(2, Socks5.UsernamePasswordLength(message.AsSpan(0, 1)));
        Assert.Equal(8, Socks5.UsernamePasswordLength(message.AsSpan(0, 2)));
        Assert.Equal(11, Socks5.UsernamePasswordLength(message.AsSpan(0, 8)));
        Assert.True(Socks5.TryReadUsernamePassword(message, out ReadOnlySpan<byte> user, out ReadOnlySpan<byte> password));
        Assert.Equal("alice", System.Text.Encoding.ASCII.GetString(user));
        Assert.Equal("pwd", System.Text.Encoding.ASCII.GetString(password));
        Assert.False(Socks5.TryReadUsernamePassword(message.AsSpan(0, 10), out _, out _));
    }

    [Theory]
    [InlineData(new byte[] { 0x05, 0x01, 0x61 })] // wrong version
    [InlineData(new byte[] { 0x01, 0x00 })] // empty name
    [InlineData(new byte[] { 0x01, 0x01, 0x61, 0x00 })] // empty password
    public void Bad_username_password_requests_have_no_length(byte[] message) => Assert.Equal(0, Socks5.UsernamePasswordLength(message));

    [Fact]
    public void A_connect_by_name_as_curl_socks5_hostname_sends_it()
    {
        // curl --socks5-hostname 203.0.113.20:1080 http://www.example:8080/
        byte[] request = [0x05, 0x01, 0x00, 0x03, 0x0B, .. "www.example"u8, 0x1F, 0x90];
        Assert.Equal(request.Length, Socks5.RequestLength(request));
        Assert.Equal(Socks5ReadStatus.Ok, Socks5.TryReadRequest(request, out byte command, out Socks5Target target));
        Assert.Equal(Socks5.CommandConnect, command);
        Assert.True(target.IsDomain);
        Assert.Equal("www.example", System.Text.Encoding.ASCII.GetString(request, target.AddressOffset, target.AddressLength));
        Assert.Equal(8080, target.Port);
    }

    [Fact]
    public void A_udp_associate_with_zeros_and_one_with_a_private_address_are_both_read()
    {
        byte[] zeros = { 0x05, 0x03, 0x00, 0x01, 0, 0, 0, 0, 0, 0 };
        byte[] private6 = { 0x05, 0x03, 0x00, 0x04, 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02, 0x9c, 0x54 };
        Assert.Equal(Socks5ReadStatus.Ok, Socks5.TryReadRequest(zeros, out byte command, out Socks5Target target));
        Assert.Equal(Socks5.CommandUdpAssociate, command);
        Assert.Equal(0, target.Port);
        Assert.Equal(Socks5ReadStatus.Ok, Socks5.TryReadRequest(private6, out _, out target));
        Assert.Equal(16, target.AddressLength);
        Assert.Equal(40020, target.Port);
    }

    [Theory]
    [InlineData(new byte[] { 0x05, 0x01, 0x00, 0x09, 0, 0, 0, 0, 0, 0 }, Socks5ReadStatus.AddressType)]
    [InlineData(new byte[] { 0x05, 0x01, 0x01, 0x01, 0, 0, 0, 0, 0, 0 }, Socks5ReadStatus.Malformed)]
    [InlineData(new byte[] { 0x04, 0x01, 0x00, 0x01, 0, 0, 0, 0, 0, 0 }, Socks5ReadStatus.Malformed)]
    [InlineData(new byte[] { 0x05, 0x01, 0x00, 0x01, 0, 0, 0 }, Socks5ReadStatus.Truncated)]
    [InlineData(new byte[] { 0x05, 0x01, 0x00, 0x03, 0x00, 0x00, 0x50 }, Socks5ReadStatus.EmptyName)]
    [InlineData(new byte[] { 0x05, 0x01, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 0xAA }, Socks5ReadStatus.Malformed)] // a byte too many
    public void Bad_requests_say_why(byte[] request, Socks5ReadStatus expected) =>
        Assert.Equal(expected, Socks5.TryReadRequest(request, out _, out _));

    [Fact]
    public void A_reply_with_an_empty_address_says_0_0_0_0()
    {
        var reply = new byte[32];
        int length = Socks5.WriteReply(reply, Socks5.ReplyNotAllowed, default, 0);
        Assert.Equal(new byte[] { 0x05, 0x02, 0x00, 0x01, 0, 0, 0, 0, 0, 0 }, reply.AsSpan(0, length).ToArray());
        Assert.True(Socks5.TryReadReply(reply.AsSpan(0, length), out byte code, stackalloc byte[16], out _, out _));
        Assert.Equal(Socks5.ReplyNotAllowed, code);
    }

    [Fact]
    public void Udp_headers_keep_a_name_in_place_and_say_where_the_payload_starts()
    {
        byte[] datagram = [0, 0, 0, 0x03, 0x07, .. "example"u8, 0x00, 0x35, .. "payload"u8];
        Assert.Equal(Socks5ReadStatus.Ok, Socks5.ReadUdpHeader(datagram, out Socks5Target target, out int payload));
        Assert.Equal("example", System.Text.Encoding.ASCII.GetString(datagram, target.AddressOffset, target.AddressLength));
        Assert.Equal(53, target.Port);
        Assert.Equal("payload", System.Text.Encoding.ASCII.GetString(datagram, payload, datagram.Length - payload));
    }

    [Fact]
    public void A_pysocks_udp_header_to_an_ipv4_address_is_read()
    {
        // PySocks 1.7.1 sendto(b"ping", ("203.0.113.10", 7)).
        byte[] datagram = [0, 0, 0, 0x01, 203, 0, 113, 10, 0x00, 0x07, .. "ping"u8];
        Assert.Equal(Socks5ReadStatus.Ok, Socks5.ReadUdpHeader(datagram, out Socks5Target target, out int payload));
        Assert.Equal(4, target.AddressLength);
        Assert.Equal(new byte[] { 203, 0, 113, 10 }, datagram.AsSpan(target.AddressOffset, 4).ToArray());
        Assert.Equal(10, payload);
    }

    [Theory]
    [InlineData(new byte[] { 0, 0, 1, 0x01, 203, 0, 113, 10, 0, 7, 0x41 }, Socks5ReadStatus.Fragment)]
    [InlineData(new byte[] { 0, 1, 0, 0x01, 203, 0, 113, 10, 0, 7, 0x41 }, Socks5ReadStatus.Malformed)]
    [InlineData(new byte[] { 0, 0, 0, 0x05, 203, 0, 113, 10, 0, 7, 0x41 }, Socks5ReadStatus.AddressType)]
    [InlineData(new byte[] { 0, 0, 0, 0x04, 203, 0, 113, 10, 0, 7, 0x41 }, Socks5ReadStatus.Truncated)]
    [InlineData(new byte[] { 0, 0, 0 }, Socks5ReadStatus.Truncated)]
    public void Bad_udp_headers_say_why(byte[] datagram, Socks5ReadStatus expected) =>
        Assert.Equal(expected, Socks5.ReadUdpHeader(datagram, out _, out _));

    [Fact]
    public void Every_truncation_of_a_request_is_refused_and_never_throws()
    {
        byte[] request = [0x05, 0x01, 0x00, 0x03, 0x0B, .. "www.example"u8, 0x1F, 0x90];
        byte[] header = [0, 0, 0, 0x03, 0x0B, .. "www.example"u8, 0x1F, 0x90];
        for (int length = 0; length < request.Length; length++)
        {
            Assert.NotEqual(Socks5ReadStatus.Ok, Socks5.TryReadRequest(request.AsSpan(0, length), out _, out _));
            Assert.Equal(Socks5ReadStatus.Truncated, Socks5.ReadUdpHeader(header.AsSpan(0, Math.Min(length, header.Length - 1)), out _, out _));
        }
    }
}
