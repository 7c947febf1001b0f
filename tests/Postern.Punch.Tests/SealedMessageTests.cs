using System.Security.Cryptography;
using Postern.Wire;

namespace Postern.Punch.Tests;

public sealed class SealedMessageTests : IDisposable
{
    private const string Code = "K3F97QXA2MRTP8DW";
    private readonly AesGcm _aes = new(PairingCode.SealKey(Code), SealedMessage.TagLength);
    private readonly byte[] _body = new MoshKeyMessage(0x0102030405060708, 60001, "4x20dBB+/Pbvaf070oT45Q").ToBody();

    private byte[] Sealed(SealedMessageKind kind = SealedMessageKind.MoshKey)
    {
        byte[] datagram = new byte[SealedMessage.Overhead + SealedMessage.MaxBody];
        int length = SealedMessage.Seal(_aes, kind, _body, datagram);
        Assert.Equal(SealedMessage.Overhead + _body.Length, length);
        return datagram.AsSpan(0, length).ToArray();
    }

    [Fact]
    public void Seal_then_open_gives_the_body_and_kind_back()
    {
        byte[] datagram = Sealed();
        Assert.Equal("PNSL"u8.ToArray(), datagram.AsSpan(0, 4).ToArray());
        Assert.True(SealedMessage.LooksSealed(datagram));
        Assert.False(PunchProbe.LooksLikeProbe(datagram));
        byte[] body = new byte[SealedMessage.MaxBody];
        Assert.True(SealedMessage.TryOpen(_aes, datagram, body, out SealedMessageKind kind, out int length));
        Assert.Equal(SealedMessageKind.MoshKey, kind);
        Assert.Equal(_body, body.AsSpan(0, length).ToArray());
        Assert.True(MoshKeyMessage.TryRead(body.AsSpan(0, length), out MoshKeyMessage message));
        Assert.Equal(new MoshKeyMessage(0x0102030405060708, 60001, "4x20dBB+/Pbvaf070oT45Q"), message);
    }

    [Fact]
    public void The_key_is_not_in_the_datagram_and_every_seal_has_a_fresh_nonce()
    {
        byte[] a = Sealed(), b = Sealed();
        Assert.NotEqual(a.AsSpan(SealedMessage.NonceOffset, SealedMessage.NonceLength).ToArray(), b.AsSpan(SealedMessage.NonceOffset, SealedMessage.NonceLength).ToArray());
        Assert.NotEqual(a, b);
        Assert.Equal(-1, a.AsSpan().IndexOf("4x20dBB+"u8));
    }

    [Fact]
    public void Another_code_cannot_open_it()
    {
        using var other = new AesGcm(PairingCode.SealKey("K3F97QXA2MRTP8DX"), SealedMessage.TagLength);
        Assert.False(SealedMessage.TryOpen(other, Sealed(), new byte[SealedMessage.MaxBody], out _, out _));
    }

    [Fact]
    public void The_seal_key_is_not_the_probe_key()
    {
        Assert.NotEqual(PairingCode.ProbeKey(Code), PairingCode.SealKey(Code));
        Assert.Equal(PairingCode.SealKey(Code), PairingCode.SealKey(Code));
        Assert.Equal(SealedMessage.KeyLength, PairingCode.SealKey(Code).Length);
    }

    [Fact]
    public void Every_truncation_is_rejected()
    {
        byte[] datagram = Sealed();
        for (int length = 0; length < datagram.Length; length++)
        {
            Assert.False(SealedMessage.TryOpen(_aes, datagram.AsSpan(0, length), new byte[SealedMessage.MaxBody], out _, out _), $"length {length}");
        }
    }

    [Fact]
    public void Every_flipped_bit_is_rejected()
    {
        byte[] datagram = Sealed();
        for (int i = 0; i < datagram.Length * 8; i++)
        {
            byte[] copy = (byte[])datagram.Clone();
            copy[i / 8] ^= (byte)(1 << (i % 8));
            Assert.False(SealedMessage.TryOpen(_aes, copy, new byte[SealedMessage.MaxBody], out _, out _), $"bit {i}");
        }
    }

    [Fact]
    public void An_appended_byte_is_rejected()
    {
        byte[] datagram = Sealed();
        Assert.False(SealedMessage.TryOpen(_aes, datagram.Append((byte)0).ToArray(), new byte[SealedMessage.MaxBody], out _, out _));
    }

    [Fact]
    public void An_authentic_message_of_an_unknown_kind_is_ignored()
    {
        byte[] datagram = Sealed((SealedMessageKind)9);
        Assert.False(SealedMessage.TryOpen(_aes, datagram, new byte[SealedMessage.MaxBody], out _, out _));
    }

    [Fact]
    public void A_body_too_long_is_not_sealed()
    {
        Assert.Equal(0, SealedMessage.Seal(_aes, SealedMessageKind.MoshKey, new byte[SealedMessage.MaxBody + 1], new byte[1024]));
        Assert.Equal(0, SealedMessage.Seal(_aes, SealedMessageKind.MoshKey, _body, new byte[SealedMessage.Overhead + _body.Length - 1]));
    }

    [Fact]
    public void An_ack_echoes_the_exchange_id()
    {
        byte[] ack = new byte[MoshKeyMessage.AckLength];
        MoshKeyMessage.WriteAck(0xDEADBEEF00000001, ack);
        Assert.True(MoshKeyMessage.TryReadAck(ack, out ulong id));
        Assert.Equal(0xDEADBEEF00000001, id);
        Assert.False(MoshKeyMessage.TryReadAck(ack.AsSpan(0, 7), out _));
    }

    [Theory]
    [InlineData("4x20dBB+/Pbvaf070oT45Q", 0)]
    [InlineData("short", 60001)]
    [InlineData("4x20dBB+/Pbvaf070oT45Q; rm -rf /", 60001)]
    [InlineData("4x20dBB+/Pbvaf070oT45\n", 60001)]
    public void A_key_body_with_no_mosh_key_or_port_is_refused(string key, int port)
    {
        byte[] body = new MoshKeyMessage(1, port, key).ToBody();
        Assert.False(MoshKeyMessage.TryRead(body, out _));
    }

    [Fact]
    public void A_key_body_with_a_wrong_length_byte_is_refused()
    {
        byte[] body = new MoshKeyMessage(1, 60001, "4x20dBB+/Pbvaf070oT45Q").ToBody();
        Assert.False(MoshKeyMessage.TryRead(body.AsSpan(0, body.Length - 1), out _));
        Assert.False(MoshKeyMessage.TryRead(body.Append((byte)'A').ToArray(), out _));
    }

    [Fact]
    public void The_key_message_never_prints_its_key()
    {
        Assert.DoesNotContain("4x20dBB", new MoshKeyMessage(1, 60001, "4x20dBB+/Pbvaf070oT45Q").ToString());
    }

    public void Dispose() => _aes.Dispose();
}

internal static class MoshKeyMessageExtensions
{
    public static byte[] ToBody(this MoshKeyMessage message)
    {
        byte[] body = new byte[SealedMessage.MaxBody];
        return body.AsSpan(0, message.Write(body)).ToArray();
    }
}

public class MoshServerOutputTests
{
    [Fact]
    public void The_connect_line_and_the_detached_pid_as_mosh_server_1_4_prints_them()
    {
        // Captured from mosh-server new -i 127.0.0.1 -p 0 (mosh 1.4.0, Debian 12).
        const string stdout = "\r\nMOSH CONNECT 35167 02KkAuCTGRiLv0Lfx7FffQ\r\n";
        const string stderr = "\nmosh-server (mosh 1.4.0) [build mosh 1.4.0]\nCopyright 2012 Keith Winstein <mosh-devel@mit.edu>\n" +
            "License GPLv3+: GNU GPL version 3 or later <http://gnu.org/licenses/gpl.html>.\nThis is free software: you are free to change and redistribute it.\n" +
            "There is NO WARRANTY, to the extent permitted by law.\n\n[mosh-server detached, pid = 9291]\n";
        Assert.True(MoshServerOutput.TryParseConnect(stdout, out int port, out string key));
        Assert.Equal(35167, port);
        Assert.Equal("02KkAuCTGRiLv0Lfx7FffQ", key);
        Assert.True(MoshServerOutput.TryParseDetachedPid(stderr, out int pid));
        Assert.Equal(9291, pid);
    }

    [Theory]
    [InlineData("")]
    [InlineData("MOSH CONNECT 0 02KkAuCTGRiLv0Lfx7FffQ")]
    [InlineData("MOSH CONNECT 70000 02KkAuCTGRiLv0Lfx7FffQ")]
    [InlineData("MOSH CONNECT 35167 02KkAuCTGRiLv0Lfx7Fff")]
    [InlineData("MOSH CONNECT 35167 02KkAuCTGRiLv0Lfx7FffQ==")]
    [InlineData("MOSH CONNECT 35167")]
    [InlineData("mosh-server: bind: Address already in use")]
    public void Anything_else_is_no_connect_line(string stdout) => Assert.False(MoshServerOutput.TryParseConnect(stdout, out _, out _));

    [Theory]
    [InlineData("")]
    [InlineData("[mosh-server detached, pid = ]")]
    [InlineData("[mosh-server detached, pid = 1]")]
    [InlineData("mosh-server detached, pid = 1234")]
    public void Anything_else_is_no_detached_pid(string stderr) => Assert.False(MoshServerOutput.TryParseDetachedPid(stderr, out _));
}

public class MoshLocaleTests
{
    [Theory]
    [InlineData(null, null, null, "C.UTF-8")]
    [InlineData(null, null, "C", "C.UTF-8")]
    [InlineData(null, null, "en_US.UTF-8", null)]
    [InlineData(null, null, "de_DE.utf8", null)]
    [InlineData("C", null, "en_US.UTF-8", "C.UTF-8")]
    [InlineData(null, "POSIX", "en_US.UTF-8", "C.UTF-8")]
    [InlineData(null, "C.UTF-8", "C", null)]
    [InlineData("", "", "C.UTF-8", null)]
    public void A_utf8_locale_in_effect_is_kept_and_otherwise_c_utf8_is_given(string? lcAll, string? lcCtype, string? lang, string? expected)
    {
        var environment = new Dictionary<string, string?> { ["LC_ALL"] = lcAll, ["LC_CTYPE"] = lcCtype, ["LANG"] = lang };
        Assert.Equal(expected, MoshLocale.LcAll(name => environment[name]));
        MoshLocale.Apply(environment);
        Assert.Equal(expected ?? lcAll, environment["LC_ALL"]);
    }
}
