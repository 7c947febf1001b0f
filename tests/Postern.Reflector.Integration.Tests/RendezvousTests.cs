using System.Net;
using System.Security.Cryptography;
using Postern.Testing;
using Postern.Wire;

namespace Postern.Reflector.Integration.Tests;

/// <summary>The real binary pairing two clients behind two NATs (RendezvousLab), the clients'
/// requests written and the answers read with the Wire code postern-punch uses.</summary>
public class RendezvousTests
{
    private const int Port = 3478;
    private const int APort = 40001;
    private const int BPort = 40002;
    private const int ThirdPort = 40003;

    private static readonly IPEndPoint s_reflector = new(IPAddress.Parse(RendezvousLab.ReflectorAddress), Port);
    private static readonly IPEndPoint s_aMapping = new(IPAddress.Parse(RendezvousLab.NatAPublicAddress), APort);
    private static readonly IPEndPoint s_bMapping = new(IPAddress.Parse(RendezvousLab.NatBPublicAddress), BPort);
    private static readonly StunAddress s_aLocal = StunAddress.FromIPEndPoint(new IPEndPoint(IPAddress.Parse(RendezvousLab.AAddress), APort));
    private static readonly StunAddress s_bLocal = StunAddress.FromIPEndPoint(new IPEndPoint(IPAddress.Parse(RendezvousLab.BAddress), BPort));

    private static byte[] Token(string code) => SHA256.HashData("postern-punch token v1\0"u8.ToArray().Concat(System.Text.Encoding.ASCII.GetBytes(code)).ToArray())[..16];

    private static readonly byte[] s_token = Token("K3F97QXA2MRTP8DW");
    private static readonly byte[] s_wrongToken = Token("K3F97QXA2MRTP8DX");

    private static byte[] Request(byte[] token, params StunAddress[] locals)
    {
        var buffer = new byte[RendezvousRequest.MinimumLength];
        Assert.Equal(buffer.Length, RendezvousRequest.Write(buffer, RandomNumberGenerator.GetBytes(12), token, locals));
        return buffer;
    }

    private static StunResponse Parse(UdpScript.Datagram datagram)
    {
        Assert.Equal(s_reflector, datagram.Source);
        Assert.Equal(StunParseStatus.NotRequest, StunResponse.TryParse(datagram.Bytes, out StunResponse response));
        return response;
    }

    private static StunResponse Single(string output, byte[] request)
    {
        UdpScript.Datagram[] received = UdpScript.Received(output);
        Assert.True(received.Length == 1, $"one answer expected:\n{output}");
        StunResponse response = Parse(received[0]);
        Assert.True(response.Answers(request.AsSpan(8, 12)), "the answer is to this request");
        return response;
    }

    private static BackgroundProcess StartReflector(RendezvousLab lab, params string[] extra) => Reflector.StartIn(lab.Public,
        new[] { "--listen", $"udp:[::]:{Port}", "--metrics-listen", "127.0.0.1:9253", "--log-requests" }.Concat(extra).ToArray());

    [BuiltBinaryFact("postern-reflector")]
    public void TwoPeersBehindNatsLearnEachOthersMappingAndLocalsAndTheFirstIsToldAtOnce()
    {
        using var lab = new RendezvousLab();
        using BackgroundProcess reflector = StartReflector(lab);

        // A registers once, then only listens, and asks again at 4 s: whatever reaches it before
        // then, the reflector pushed.
        byte[] a1 = Request(s_token, s_aLocal);
        byte[] a2 = Request(s_token, s_aLocal);
        using BackgroundProcess a = UdpScript.Start(lab.A,
            UdpScript.Arguments(RendezvousLab.ReflectorAddress, Port, APort, 5.5, (0, a1), (4, a2)));
        Assert.True(a.WaitForOutput("recv ", TimeSpan.FromSeconds(10)), "A had no answer:\n" + a.Output + reflector.Output);

        // B with the wrong token first: it waits alone, and A hears nothing of it.
        byte[] wrong = Request(s_wrongToken, s_bLocal);
        StunResponse alone = Single(UdpScript.Run(lab.B, UdpScript.Arguments(RendezvousLab.ReflectorAddress, Port, BPort, 0.5, (0, wrong)), 0.5), wrong);
        Assert.True(alone.IsSuccess);
        Assert.Equal(s_wrongToken, alone.TokenBytes.ToArray());
        Assert.True(alone.Peer.IsEmpty);

        // B with the right token: paired, told A's mapping and local.
        byte[] b1 = Request(s_token, s_bLocal);
        string bOutput = UdpScript.Run(lab.B, UdpScript.Arguments(RendezvousLab.ReflectorAddress, Port, BPort, 0.5, (0, b1)), 0.5);
        StunResponse paired = Single(bOutput, b1);
        Assert.True(paired.IsSuccess);
        Assert.Equal(s_bMapping, paired.MappedAddress.ToIPEndPoint());
        Assert.Equal(s_aMapping, paired.Peer.ToIPEndPoint());
        Assert.Equal(new[] { s_aLocal }, paired.PeerLocalAddresses.ToArray());
        double bSent = UdpScript.Sent(bOutput).Single();

        // A third mapping (another source port behind B's NAT) with the paired token: 403.
        byte[] third = Request(s_token);
        StunResponse refused = Single(UdpScript.Run(lab.B, UdpScript.Arguments(RendezvousLab.ReflectorAddress, Port, ThirdPort, 0.5, (0, third)), 0.5), third);
        Assert.True(refused.IsError);
        Assert.Equal(403, refused.ErrorCode);
        Assert.True(refused.Peer.IsEmpty);

        Assert.True(a.WaitForExit(TimeSpan.FromSeconds(15)), "A did not finish:\n" + a.Output);
        UdpScript.Datagram[] toA = UdpScript.Received(a.Output);
        Assert.True(toA.Length == 3, $"A should get its waiting answer, one indication and the paired answer:\n{a.Output}");
        double[] aSent = UdpScript.Sent(a.Output);

        StunResponse waiting = Parse(toA[0]);
        Assert.True(waiting.Answers(a1.AsSpan(8, 12)));
        Assert.Equal(s_aMapping, waiting.MappedAddress.ToIPEndPoint());
        Assert.Equal(s_token, waiting.TokenBytes.ToArray());
        Assert.True(waiting.Peer.IsEmpty);

        StunResponse indication = Parse(toA[1]);
        Assert.True(indication.IsIndication);
        Assert.True(indication.HasFingerprint);
        Assert.True(indication.Answers(a1.AsSpan(8, 12)), "the indication carries A's last transaction");
        Assert.Equal(s_aMapping, indication.MappedAddress.ToIPEndPoint());
        Assert.Equal(s_bMapping, indication.Peer.ToIPEndPoint());
        Assert.Equal(new[] { s_bLocal }, indication.PeerLocalAddresses.ToArray());
        // Within one round trip of B's arrival (milliseconds here), long before A asked again.
        Assert.InRange(toA[1].Time - bSent, 0, 0.5);
        Assert.True(toA[1].Time < aSent[1], "the indication came before A's second request");

        StunResponse again = Parse(toA[2]);
        Assert.True(again.Answers(a2.AsSpan(8, 12)));
        Assert.Equal(s_bMapping, again.Peer.ToIPEndPoint());
        Assert.Equal(new[] { s_bLocal }, again.PeerLocalAddresses.ToArray());

        string line = Reflector.PollCounters(reflector, l => Reflector.Counter(l, "rendezvous-refused") >= 1, TimeSpan.FromSeconds(20));
        Assert.Equal(2, Reflector.Counter(line, "rendezvous-registered")); // the token and the wrong one
        Assert.Equal(1, Reflector.Counter(line, "rendezvous-paired"));
        Assert.Equal(1, Reflector.Counter(line, "rendezvous-indications"));
        Assert.Equal(1, Reflector.Counter(line, "rendezvous-refused"));
        Assert.Equal(0, Reflector.Counter(line, "rendezvous-table-full"));
        Assert.Equal(2, Reflector.Counter(line, "rendezvous-entries"));
        Assert.Equal(0, Reflector.Counter(line, "send-errors"));

        string metrics = lab.Public.Check("curl", "-sf", "http://127.0.0.1:9253/metrics");
        Assert.Contains("\npostern_reflector_rendezvous_paired_total 1\n", metrics, StringComparison.Ordinal);
        Assert.Contains("\npostern_reflector_rendezvous_indications_total 1\n", metrics, StringComparison.Ordinal);
        Assert.Contains("\npostern_reflector_rendezvous_refused_total 1\n", metrics, StringComparison.Ordinal);
    }

    [BuiltBinaryFact("postern-reflector")]
    public void WithNoRendezvousBothPeersGetPlainAnswersAndNothingIsPushed()
    {
        using var lab = new RendezvousLab();
        using BackgroundProcess reflector = StartReflector(lab, "--no-rendezvous");
        Assert.Contains("no rendezvous", reflector.Output, StringComparison.Ordinal);

        byte[] a1 = Request(s_token, s_aLocal);
        using BackgroundProcess a = UdpScript.Start(lab.A, UdpScript.Arguments(RendezvousLab.ReflectorAddress, Port, APort, 3, (0, a1)));
        Assert.True(a.WaitForOutput("recv ", TimeSpan.FromSeconds(10)), "A had no answer:\n" + a.Output);
        byte[] b1 = Request(s_token, s_bLocal);
        StunResponse b = Single(UdpScript.Run(lab.B, UdpScript.Arguments(RendezvousLab.ReflectorAddress, Port, BPort, 0.5, (0, b1)), 0.5), b1);
        Assert.True(a.WaitForExit(TimeSpan.FromSeconds(15)), "A did not finish:\n" + a.Output);

        StunResponse plain = Single(a.Output, a1);
        foreach (StunResponse answer in new[] { plain, b })
        {
            Assert.True(answer.IsSuccess);
            Assert.False(answer.HasToken);
            Assert.True(answer.Peer.IsEmpty);
            Assert.Equal(0, answer.PeerLocalCount);
        }
        Assert.Equal(s_aMapping, plain.MappedAddress.ToIPEndPoint());
        Assert.Equal(s_bMapping, b.MappedAddress.ToIPEndPoint());

        string line = Reflector.PollCounters(reflector, l => Reflector.Counter(l, "answered") >= 2, TimeSpan.FromSeconds(20));
        Assert.Equal(0, Reflector.Counter(line, "rendezvous-registered"));
        Assert.Equal(0, Reflector.Counter(line, "rendezvous-indications"));
        Assert.Equal(2, Reflector.Counter(line, "answered.stun"));
    }
}
