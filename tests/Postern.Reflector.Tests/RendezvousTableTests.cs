using System.Net;
using Postern.Wire;

namespace Postern.Reflector.Tests;

/// <summary>The table alone, on a clock of milliseconds (frequency 1000).</summary>
public class RendezvousTableTests
{
    private const long Second = 1000;
    private static readonly long Lifetime = (long)RendezvousTable.Lifetime.TotalSeconds * Second;

    private static readonly byte[] s_token = Enumerable.Range(1, 16).Select(i => (byte)i).ToArray();
    private static readonly byte[] s_otherToken = Enumerable.Range(2, 16).Select(i => (byte)i).ToArray();

    private static byte[] Token(int n)
    {
        var token = new byte[16];
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(token.AsSpan(12), n);
        return token;
    }

    private static RendezvousPeer Peer(string mapping, int listener = 0, params string[] locals)
    {
        var peer = new RendezvousPeer
        {
            Mapping = StunAddress.FromIPEndPoint(IPEndPoint.Parse(mapping)),
            RequestLength = 160,
            Listener = listener,
        };
        foreach (string local in locals)
        {
            peer.Locals[peer.LocalCount++] = StunAddress.FromIPEndPoint(IPEndPoint.Parse(local));
        }
        return peer;
    }

    private static readonly RendezvousPeer s_a = Peer("203.0.113.7:40060", 1, "192.0.2.7:40060");
    private static readonly RendezvousPeer s_b = Peer("198.51.100.9:50000", 0, "192.0.2.9:50000", "[2001:db8::9]:50000");
    private static readonly RendezvousPeer s_c = Peer("198.51.100.9:50001");

    [Fact]
    public void AFirstRequestWaitsAndTheSameMappingKeepsWaiting()
    {
        var table = new RendezvousTable(16, Second);
        Assert.Equal(RendezvousResult.Registered, table.Visit(s_token, in s_a, 1, out _));
        Assert.Equal(RendezvousResult.Waiting, table.Visit(s_token, in s_a, 2, out _));
        Assert.Equal(RendezvousResult.Waiting, table.Visit(s_token, in s_a, 3, out _));
        Assert.Equal(1, table.Count);
        Assert.Equal(1, table.Registered);
        Assert.Equal(0, table.Paired);
    }

    [Fact]
    public void ASecondMappingPairsAndEitherSideHearsOfTheOther()
    {
        var table = new RendezvousTable(16, Second);
        table.Visit(s_token, in s_a, 1, out _);
        Assert.Equal(RendezvousResult.Paired, table.Visit(s_token, in s_b, 2, out RendezvousPeer first));
        Assert.Equal(s_a.Mapping, first.Mapping);
        Assert.Equal(1, first.Listener);
        Assert.Equal(s_a.LocalAddresses.ToArray(), first.LocalAddresses.ToArray());

        Assert.Equal(RendezvousResult.PairedAgain, table.Visit(s_token, in s_a, 3, out RendezvousPeer second));
        Assert.Equal(s_b.Mapping, second.Mapping);
        Assert.Equal(s_b.LocalAddresses.ToArray(), second.LocalAddresses.ToArray());
        Assert.Equal(RendezvousResult.PairedAgain, table.Visit(s_token, in s_b, 4, out first));
        Assert.Equal(s_a.Mapping, first.Mapping);
        Assert.Equal(1, table.Paired);
        Assert.Equal(1, table.Registered);
    }

    [Fact]
    public void AThirdMappingIsRefusedAndLearnsNothing()
    {
        var table = new RendezvousTable(16, Second);
        table.Visit(s_token, in s_a, 1, out _);
        table.Visit(s_token, in s_b, 2, out _);
        Assert.Equal(RendezvousResult.Refused, table.Visit(s_token, in s_c, 3, out RendezvousPeer learned));
        Assert.True(learned.Mapping.IsEmpty);
        Assert.Equal(1, table.Refused);
        // The two keep their pair (the same address with another port is another mapping).
        Assert.Equal(RendezvousResult.PairedAgain, table.Visit(s_token, in s_b, 4, out RendezvousPeer first));
        Assert.Equal(s_a.Mapping, first.Mapping);
    }

    [Fact]
    public void DifferentTokensNeverPair()
    {
        var table = new RendezvousTable(16, Second);
        Assert.Equal(RendezvousResult.Registered, table.Visit(s_token, in s_a, 1, out _));
        Assert.Equal(RendezvousResult.Registered, table.Visit(s_otherToken, in s_b, 2, out _));
        Assert.Equal(RendezvousResult.Waiting, table.Visit(s_token, in s_a, 3, out _));
        Assert.Equal(0, table.Paired);
    }

    [Fact]
    public void AnEntryLivesSixtySecondsAfterItsLastRequest()
    {
        var table = new RendezvousTable(16, Second);
        table.Visit(s_token, in s_a, 0, out _);
        Assert.Equal(RendezvousResult.Waiting, table.Visit(s_token, in s_a, Lifetime - 1, out _));
        Assert.Equal(RendezvousResult.Paired, table.Visit(s_token, in s_b, 2 * Lifetime - 2, out _)); // 59.999 s after the last
        Assert.Equal(0, table.Expired);
        Assert.Equal(RendezvousResult.Registered, table.Visit(s_token, in s_c, 3 * Lifetime - 2, out _)); // 60 s: gone
        Assert.Equal(1, table.Expired);
        Assert.Equal(2, table.Registered);
        Assert.Equal(1, table.Count);
    }

    [Fact]
    public void AFullTableRefusesNewTokensUntilAnEntryExpires()
    {
        var table = new RendezvousTable(2, Second);
        Assert.Equal(RendezvousResult.Registered, table.Visit(Token(1), in s_a, 0, out _));
        Assert.Equal(RendezvousResult.Registered, table.Visit(Token(2), in s_a, 10 * Second, out _));
        Assert.Equal(RendezvousResult.TableFull, table.Visit(Token(3), in s_b, 20 * Second, out _));
        Assert.Equal(RendezvousResult.TableFull, table.Visit(Token(3), in s_b, 21 * Second, out _));
        Assert.Equal(2, table.TableFull);
        // Known tokens are still served while it is full.
        Assert.Equal(RendezvousResult.Paired, table.Visit(Token(2), in s_b, 22 * Second, out _));
        // Token 1 expires at 60 s: room for token 3.
        Assert.Equal(RendezvousResult.Registered, table.Visit(Token(3), in s_b, Lifetime, out _));
        Assert.Equal(1, table.Expired);
        Assert.Equal(2, table.Count);
        Assert.Equal(3, table.Registered);
    }

    [Fact]
    public void ThreadsPairTheirOwnTokensAndTheCountsAddUp()
    {
        var table = new RendezvousTable(4096, Second);
        Parallel.For(0, 4, worker =>
        {
            for (int i = 0; i < 500; i++)
            {
                byte[] token = Token(worker * 1000 + i);
                Assert.Equal(RendezvousResult.Registered, table.Visit(token, in s_a, 1, out _));
                Assert.Equal(RendezvousResult.Paired, table.Visit(token, in s_b, 2, out _));
                Assert.Equal(RendezvousResult.Refused, table.Visit(token, in s_c, 3, out _));
            }
        });
        Assert.Equal(2000, table.Registered);
        Assert.Equal(2000, table.Paired);
        Assert.Equal(2000, table.Refused);
        Assert.Equal(2000, table.Count);
    }

    [Fact]
    public void RequestsAllocateNothingEvenAsEntriesComeAndGo()
    {
        var table = new RendezvousTable(64, Second);
        byte[][] tokens = Enumerable.Range(0, 200).Select(Token).ToArray();
        void Churn(long start)
        {
            for (int i = 0; i < tokens.Length; i++)
            {
                long now = start + i * Lifetime / 50; // entries expire while others arrive
                table.Visit(tokens[i], in s_a, now, out _);
                table.Visit(tokens[i], in s_b, now, out _);
            }
        }
        Churn(0);
        long before = GC.GetAllocatedBytesForCurrentThread();
        Churn(1000 * Lifetime);
        Assert.Equal(before, GC.GetAllocatedBytesForCurrentThread());
        Assert.True(table.Expired > 100, $"expired {table.Expired}");
    }

    [Fact]
    public void TheCapacityIsBounded()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new RendezvousTable(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new RendezvousTable(RendezvousTable.MaxCapacity + 1));
        Assert.Equal("--rendezvous-table must be between 1 and 1048576 entries.",
            ReflectorServer.Validate(new ReflectorOptions { RendezvousTableSize = 0 }));
        Assert.Equal("--rendezvous-table must be between 1 and 1048576 entries.",
            ReflectorServer.Validate(new ReflectorOptions { RendezvousTableSize = RendezvousTable.MaxCapacity + 1 }));
        Assert.Null(ReflectorServer.Validate(new ReflectorOptions { RendezvousTableSize = RendezvousTable.MaxCapacity }));
    }
}
