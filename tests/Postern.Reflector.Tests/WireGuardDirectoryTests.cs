using System.Diagnostics;
using System.Security.Cryptography;
using Postern.Reflector;
using Postern.Wire;

namespace Postern.Reflector.Tests;

/// <summary>The DNS-SD registration table: who may register a key (whoever holds its private key),
/// the clock window, no replay, the bound, the expiry.</summary>
public class WireGuardDirectoryTests
{
    private static readonly byte[] s_reflectorPrivate = RandomNumberGenerator.GetBytes(32);
    private static readonly byte[] s_reflectorPublic = WireGuardRegister.PublicKeyOf(s_reflectorPrivate);
    private static readonly long s_second = Stopwatch.Frequency;
    private const long Clock = 1_800_000_000_000;

    private sealed record Peer(byte[] Private, byte[] Public)
    {
        public static Peer Create()
        {
            byte[] key = RandomNumberGenerator.GetBytes(32);
            return new Peer(key, WireGuardRegister.PublicKeyOf(key));
        }
    }

    private static WireGuardDirectory Directory(int capacity = 16) =>
        new(s_reflectorPrivate, capacity, TimeSpan.FromSeconds(120), () => Clock);

    /// <summary>The register request <paramref name="signer"/> would send for <paramref name="key"/>,
    /// parsed back as the reflector reads it.</summary>
    private static StunRequest Request(Peer signer, byte[] key, long time)
    {
        byte[] macKey = new byte[32];
        Assert.True(WireGuardRegister.DeriveMacKey(signer.Private, s_reflectorPublic, key, s_reflectorPublic, macKey));
        byte[] message = new byte[WireGuardRegister.RequestLength];
        int length = WireGuardRegister.WriteRegister(message, RandomNumberGenerator.GetBytes(12), key, time, macKey);
        Assert.Equal(StunParseStatus.Request, StunRequest.TryParse(message.AsSpan(0, length), out StunRequest parsed));
        Assert.True(parsed.HasWgKey && parsed.HasWgTime && parsed.HasWgMac);
        _transaction = message.AsSpan(StunMessage.TransactionOffset, StunMessage.TransactionLength).ToArray();
        return parsed;
    }

    [ThreadStatic]
    private static byte[]? _transaction;

    private static RegisterResult Register(WireGuardDirectory directory, Peer signer, byte[] key, long time, StunAddress from, long now,
        out bool changed)
    {
        StunRequest parsed = Request(signer, key, time);
        return directory.Register(parsed.WgKey, parsed.WgTime, _transaction, parsed.WgMac, in from, now, out changed);
    }

    private static StunAddress At(byte last, ushort port) => StunAddress.Create(new byte[] { 203, 0, 113, last }, port);

    [Fact]
    public void The_holder_of_the_key_registers_and_renews_and_the_endpoint_follows()
    {
        WireGuardDirectory directory = Directory();
        Peer peer = Peer.Create();
        Assert.Equal(RegisterResult.Accepted, Register(directory, peer, peer.Public, Clock, At(40, 51820), 0, out bool changed));
        Assert.True(changed);
        Assert.Equal(RegisterResult.Accepted, Register(directory, peer, peer.Public, Clock + 1, At(40, 51820), s_second, out changed));
        Assert.False(changed);
        Assert.Equal(RegisterResult.Accepted, Register(directory, peer, peer.Public, Clock + 2, At(40, 40000), 2 * s_second, out changed));
        Assert.True(changed);
        Assert.True(directory.TryFind(peer.Public, 2 * s_second, out WireGuardRegistration found));
        Assert.Equal(At(40, 40000), found.Endpoint);
        Assert.Equal(Clock + 2, found.Time);
        Assert.Equal(peer.Public, found.Key);
        Assert.Equal(3, directory.Accepted);
        Assert.Equal(1, directory.Count);
    }

    [Fact]
    public void Another_private_key_cannot_register_a_key()
    {
        WireGuardDirectory directory = Directory();
        Peer victim = Peer.Create();
        Peer forger = Peer.Create();
        Assert.Equal(RegisterResult.BadMac, Register(directory, forger, victim.Public, Clock, At(66, 1), 0, out _));
        Assert.False(directory.TryFind(victim.Public, 0, out _));
        Assert.Equal(1, directory.RefusedBadMac);
        Assert.Equal(0, directory.Accepted);
    }

    [Fact]
    public void A_timestamp_not_newer_than_the_last_accepted_is_a_replay()
    {
        WireGuardDirectory directory = Directory();
        Peer peer = Peer.Create();
        StunRequest first = Request(peer, peer.Public, Clock);
        byte[] transaction = _transaction!;
        StunAddress home = At(40, 51820);
        Assert.Equal(RegisterResult.Accepted, directory.Register(first.WgKey, first.WgTime, transaction, first.WgMac, in home, 0, out _));
        // The same datagram again, from elsewhere (an on-path copy), and an older one.
        StunAddress elsewhere = At(66, 9999);
        Assert.Equal(RegisterResult.Replayed, directory.Register(first.WgKey, first.WgTime, transaction, first.WgMac, in elsewhere, 1, out _));
        Assert.Equal(RegisterResult.Replayed, Register(directory, peer, peer.Public, Clock - 1, elsewhere, 2, out _));
        Assert.True(directory.TryFind(peer.Public, 3, out WireGuardRegistration found));
        Assert.Equal(home, found.Endpoint);
        Assert.Equal(2, directory.RefusedReplayed);
    }

    [Theory]
    [InlineData(-30_001)]
    [InlineData(30_001)]
    [InlineData(-86_400_000)]
    public void A_timestamp_outside_the_clock_window_is_refused(long offset)
    {
        WireGuardDirectory directory = Directory();
        Peer peer = Peer.Create();
        Assert.Equal(RegisterResult.ClockSkew, Register(directory, peer, peer.Public, Clock + offset, At(40, 1), 0, out _));
        Assert.Equal(1, directory.RefusedClockSkew);
        Assert.Equal(RegisterResult.Accepted, Register(directory, peer, peer.Public, Clock + Math.Sign(offset) * 30_000, At(40, 1), 0, out _));
    }

    [Fact]
    public void A_full_table_refuses_new_keys_but_renews_known_ones_and_expired_entries_make_room()
    {
        WireGuardDirectory directory = Directory(capacity: 2);
        Peer a = Peer.Create(), b = Peer.Create(), c = Peer.Create();
        Assert.Equal(RegisterResult.Accepted, Register(directory, a, a.Public, Clock, At(1, 1), 0, out _));
        Assert.Equal(RegisterResult.Accepted, Register(directory, b, b.Public, Clock, At(2, 2), 100 * s_second, out _));
        Assert.Equal(RegisterResult.TableFull, Register(directory, c, c.Public, Clock, At(3, 3), 110 * s_second, out _));
        Assert.Equal(RegisterResult.Accepted, Register(directory, a, a.Public, Clock + 1, At(1, 1), 110 * s_second, out _));
        Assert.Equal(1, directory.RefusedTableFull);
        // b is 120 s old at 220 s: expired, its slot goes to c.
        Assert.Equal(RegisterResult.Accepted, Register(directory, c, c.Public, Clock + 1, At(3, 3), 220 * s_second, out _));
        Assert.False(directory.TryFind(b.Public, 220 * s_second, out _));
        Assert.Equal(1, directory.Expired);
        Assert.Equal(2, directory.Count);
    }

    [Fact]
    public void Lookups_count_and_snapshots_drop_expired_entries_in_key_order()
    {
        WireGuardDirectory directory = Directory();
        Peer[] peers = { Peer.Create(), Peer.Create(), Peer.Create() };
        for (int i = 0; i < peers.Length; i++)
        {
            Assert.Equal(RegisterResult.Accepted, Register(directory, peers[i], peers[i].Public, Clock, At((byte)i, 1), i * 60 * s_second, out _));
        }
        Assert.True(directory.TryLookup(peers[2].Public, 130 * s_second, out _));
        Assert.False(directory.TryLookup(peers[0].Public, 130 * s_second, out _));
        Assert.Equal(2, directory.Lookups);
        Assert.Equal(1, directory.LookupMisses);
        List<WireGuardRegistration> live = directory.Snapshot(130 * s_second);
        Assert.Equal(new[] { peers[1].Public, peers[2].Public }.OrderBy(k => Convert.ToHexString(k)).Select(Convert.ToHexString),
            live.Select(r => Convert.ToHexString(r.Key)));
    }
}
