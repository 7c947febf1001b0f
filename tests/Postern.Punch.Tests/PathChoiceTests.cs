using System.Net;
using System.Net.Sockets;
using Postern.Punch;

namespace Postern.Punch.Tests;

public class PathChoiceTests
{
    private static readonly PunchPort s_port = new(new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp));

    private static ConfirmedPath Path(CandidateKind kind, int milliseconds) =>
        new(s_port, new IPEndPoint(IPAddress.Parse("203.0.113.1"), 40000 + milliseconds), kind, TimeSpan.FromMilliseconds(milliseconds));

    [Fact]
    public void Lan_before_direct_before_birthday_before_relay_whatever_the_round_trips()
    {
        var paths = new[] { Path(CandidateKind.Relay, 1), Path(CandidateKind.Birthday, 2), Path(CandidateKind.Direct, 3), Path(CandidateKind.Lan, 90) };
        Assert.Equal(CandidateKind.Lan, PathChoice.Choose(paths)!.Kind);
        Assert.Equal(CandidateKind.Direct, PathChoice.Choose(paths[..3])!.Kind);
        Assert.Equal(CandidateKind.Birthday, PathChoice.Choose(paths[..2])!.Kind);
    }

    [Fact]
    public void Of_one_kind_the_shortest_round_trip()
    {
        Assert.Equal(5, PathChoice.Choose(new[] { Path(CandidateKind.Direct, 9), Path(CandidateKind.Direct, 5), Path(CandidateKind.Direct, 7) })!
            .RoundTrip.TotalMilliseconds);
    }

    [Fact]
    public void Nothing_confirmed_is_no_choice() => Assert.Null(PathChoice.Choose(Array.Empty<ConfirmedPath>()));

    [Fact]
    public void A_lan_path_is_final_and_another_waits_while_lan_candidates_are_pending()
    {
        Assert.True(PathChoice.IsFinal(Path(CandidateKind.Lan, 1), lanCandidatesPending: true));
        Assert.False(PathChoice.IsFinal(Path(CandidateKind.Direct, 1), lanCandidatesPending: true));
        Assert.True(PathChoice.IsFinal(Path(CandidateKind.Direct, 1), lanCandidatesPending: false));
    }

    [Fact]
    public void Candidates_keep_the_peers_family_drop_duplicates_and_mark_its_relay()
    {
        var pair = new RendezvousResult(
            Mapped: new IPEndPoint(IPAddress.Parse("203.0.113.1"), 40000),
            Peer: new IPEndPoint(IPAddress.Parse("203.0.113.2"), 50000),
            PeerLocals: new[]
            {
                new IPEndPoint(IPAddress.Parse("198.51.100.18"), 50000),
                new IPEndPoint(IPAddress.Parse("198.51.100.18"), 50000),
                new IPEndPoint(IPAddress.Parse("2001:db8::18"), 50000),
                new IPEndPoint(IPAddress.Parse("203.0.113.20"), 1080),
            },
            PeerInfo: new PeerInfo(NatBehaviour.EndpointIndependent, LastLocalIsRelay: true),
            First: false, ServerRoundTrip: TimeSpan.Zero, Waited: TimeSpan.Zero);
        List<Candidate> candidates = PunchClient.Candidates(pair, AddressFamily.InterNetwork);
        Assert.Equal(new[] { "lan 198.51.100.18:50000", "relay 203.0.113.20:1080", "direct 203.0.113.2:50000" },
            candidates.Select(c => c.ToString()));
    }

    [Fact]
    public void Lan_candidates_get_twice_the_round_trip_at_least_10_ms_at_most_the_limit()
    {
        TimeSpan limit = TimeSpan.FromMilliseconds(200);
        Assert.Equal(TimeSpan.FromMilliseconds(10), PathChoice.Grace(Path(CandidateKind.Direct, 1), limit));
        Assert.Equal(TimeSpan.FromMilliseconds(60), PathChoice.Grace(Path(CandidateKind.Direct, 30), limit));
        Assert.Equal(limit, PathChoice.Grace(Path(CandidateKind.Direct, 150), limit));
    }
}
