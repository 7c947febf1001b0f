using System.Net;
using System.Security.Cryptography;
using ARSoft.Tools.Net;
using ARSoft.Tools.Net.Dns;
using Postern.Interop;
using Postern.Wire;

namespace Postern.Reflector.Tests;

/// <summary>The DNS-SD records, built from a directory with real registrations (keys held by the
/// test); and the register and lookup requests going
/// through the responder as the UDP worker passes them.</summary>
public class DnsSdZoneTests
{
    private const long Clock = 1_800_000_000_000;
    private static readonly byte[] s_reflectorPrivate = RandomNumberGenerator.GetBytes(32);
    private static readonly byte[] s_reflectorPublic = WireGuardRegister.PublicKeyOf(s_reflectorPrivate);

    private static WireGuardDirectory Directory() => new(s_reflectorPrivate, 16, TimeSpan.FromSeconds(120), () => Clock);

    private static StunAddress At(string endpoint) => StunAddress.FromIPEndPoint(IPEndPoint.Parse(endpoint));

    /// <summary>A new key pair registered from <paramref name="from"/> through the responder; its public key.</summary>
    private static byte[] Register(ReflectorResponder responder, StunAddress from, long time = Clock, byte[]? signWith = null)
    {
        byte[] privateKey = RandomNumberGenerator.GetBytes(32);
        byte[] publicKey = WireGuardRegister.PublicKeyOf(privateKey);
        Assert.Equal(ReflectorOutcome.StunSuccess, Send(responder, RegisterRequest(signWith ?? privateKey, publicKey, time), from, out byte[] reply));
        Assert.Equal(StunParseStatus.NotRequest, StunResponse.TryParse(reply, out StunResponse answer));
        Assert.True(answer.IsSuccess);
        Assert.Equal(from, answer.MappedAddress);
        Assert.Equal(time, answer.WgTime);
        return publicKey;
    }

    private static byte[] RegisterRequest(byte[] privateKey, byte[] publicKey, long time)
    {
        byte[] macKey = new byte[32];
        Assert.True(WireGuardRegister.DeriveMacKey(privateKey, s_reflectorPublic, publicKey, s_reflectorPublic, macKey));
        byte[] request = new byte[WireGuardRegister.RequestLength];
        Assert.Equal(request.Length, WireGuardRegister.WriteRegister(request, RandomNumberGenerator.GetBytes(12), publicKey, time, macKey));
        return request;
    }

    private static ReflectorOutcome Send(ReflectorResponder responder, byte[] request, StunAddress from, out byte[] reply)
    {
        byte[] buffer = new byte[ReflectorResponder.MaxReplyLength];
        var route = new UdpDatagram { Port = from.Port, Family = (byte)from.Family };
        ReflectorOutcome outcome = responder.Answer(request, from.Bytes, from.Port, 0, null, 0, 1, buffer, out int length, out _, out _,
            0, in route, new byte[ReflectorResponder.MaxReplyLength], out _, out _);
        reply = buffer[..length];
        Assert.True(length <= request.Length, "an answer longer than its request");
        return outcome;
    }

    private static DnsMessage Ask(DnsSdZone zone, string name, RecordType type)
    {
        var query = new DnsMessage { TransactionID = 7, IsRecursionDesired = true };
        query.Questions.Add(new DnsQuestion(DomainName.Parse(name), type, RecordClass.INet));
        // As built (ARSoft 3.6.1 encodes only inside its transports; the bytes on the wire are
        // dig's to read, in DnsSdTests).
        return zone.Answer(query, 1);
    }

    [Fact]
    public void Keys_are_named_in_wgsds_base32_form()
    {
        // The example in wgsd's README: the peer key and the name wgsd serves for it.
        byte[] key = Convert.FromBase64String("xScVkH3fUGUv4RrJFfmcqm8rs3SEHr41km6+yffAHw4=");
        Assert.Equal("yutrled535igkl7bdlerl6m4vjxsxm3uqqpl4nmsn27mt56ad4ha====", WireGuardRegister.Base32Label(key));
        Assert.Equal(key, WireGuardRegister.ParseBase32Label("YUTRLED535IGKL7BDLERL6M4VJXSXM3UQQPL4NMSN27MT56AD4HA===="));
        Assert.Null(WireGuardRegister.ParseBase32Label("yutrled535igkl7bdlerl6m4vjxsxm3uqqpl4nmsn27mt56ad4hb===="));
        Assert.Null(WireGuardRegister.ParseBase32Label("yutrled535igkl7bdlerl6m4vjxsxm3uqqpl4nmsn27mt56ad4ha"));
        for (int i = 0; i < 50; i++)
        {
            byte[] random = RandomNumberGenerator.GetBytes(32);
            Assert.Equal(random, WireGuardRegister.ParseBase32Label(WireGuardRegister.Base32Label(random)));
        }
    }

    [Fact]
    public void Srv_ptr_a_aaaa_and_txt_follow_the_registrations()
    {
        WireGuardDirectory directory = Directory();
        var responder = new ReflectorResponder("", false, null, null, directory);
        byte[] a = Register(responder, At("203.0.113.40:51820"));
        byte[] b = Register(responder, At("[2001:db8::56]:40000"));
        var zone = new DnsSdZone("vpn.example.net", 30, directory);
        string nameA = WireGuardRegister.Base32Label(a) + "._wireguard._udp.vpn.example.net";
        string nameB = WireGuardRegister.Base32Label(b) + "._wireguard._udp.vpn.example.net";

        DnsMessage ptr = Ask(zone, "_wireguard._udp.vpn.example.net", RecordType.Ptr);
        Assert.True(ptr.IsAuthoritiveAnswer);
        Assert.Equal(new[] { nameA, nameB }.Order(), ptr.AnswerRecords.Cast<PtrRecord>().Select(r => r.PointerDomainName.ToString().TrimEnd('.')).Order());
        Assert.All(ptr.AnswerRecords, r => Assert.Equal(30, r.TimeToLive));

        DnsMessage srv = Ask(zone, nameA, RecordType.Srv);
        SrvRecord record = Assert.IsType<SrvRecord>(Assert.Single(srv.AnswerRecords));
        Assert.Equal((0, 0, 51820), (record.Priority, record.Weight, record.Port));
        Assert.Equal(nameA, record.Target.ToString().TrimEnd('.'));
        Assert.Equal(IPAddress.Parse("203.0.113.40"), Assert.Single(srv.AdditionalRecords.OfType<ARecord>()).Address);
        TxtRecord txt = Assert.Single(srv.AdditionalRecords.OfType<TxtRecord>());
        Assert.Equal(new[] { "txtvers=1", "pub=" + Convert.ToBase64String(a) }, txt.TextParts);

        Assert.Equal(IPAddress.Parse("2001:db8::56"), Assert.IsType<AaaaRecord>(Assert.Single(Ask(zone, nameB, RecordType.Aaaa).AnswerRecords)).Address);
        Assert.Equal(40000, Assert.IsType<SrvRecord>(Assert.Single(Ask(zone, nameB, RecordType.Srv).AnswerRecords)).Port);

        // A name that exists without the type: NODATA with the SOA; the name case-insensitively.
        DnsMessage noData = Ask(zone, nameB, RecordType.A);
        Assert.Equal(ReturnCode.NoError, noData.ReturnCode);
        Assert.Empty(noData.AnswerRecords);
        Assert.IsType<SoaRecord>(Assert.Single(noData.AuthorityRecords));
        Assert.Single(Ask(zone, nameA.ToUpperInvariant(), RecordType.Srv).AnswerRecords);

        // The endpoint moves with a newer registration.
        byte[] privateKey = RandomNumberGenerator.GetBytes(32);
        byte[] c = WireGuardRegister.PublicKeyOf(privateKey);
        Assert.Equal(ReflectorOutcome.StunSuccess, Send(responder, RegisterRequest(privateKey, c, Clock), At("198.51.100.1:1000"), out _));
        Assert.Equal(ReflectorOutcome.StunSuccess, Send(responder, RegisterRequest(privateKey, c, Clock + 1), At("198.51.100.1:2000"), out _));
        string nameC = WireGuardRegister.Base32Label(c) + "._wireguard._udp.vpn.example.net";
        Assert.Equal(2000, Assert.IsType<SrvRecord>(Assert.Single(Ask(zone, nameC, RecordType.Srv).AnswerRecords)).Port);
        Assert.True(zone.AnsweredNoError >= 6, zone.AnsweredNoError.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(1, zone.AnsweredNoData);
    }

    [Theory]
    [InlineData("www.example.org", ReturnCode.Refused)]
    [InlineData("vpn.example.net.evil.example", ReturnCode.Refused)]
    [InlineData("nothing.vpn.example.net", ReturnCode.NxDomain)]
    [InlineData("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa====._wireguard._udp.vpn.example.net", ReturnCode.NxDomain)]
    [InlineData("_udp.vpn.example.net", ReturnCode.NoError)]
    [InlineData("vpn.example.net", ReturnCode.NoError)]
    public void Names_outside_the_zone_are_refused_and_names_without_records_do_not_exist(string name, ReturnCode expected)
    {
        var zone = new DnsSdZone("vpn.example.net", 30, Directory());
        DnsMessage answer = Ask(zone, name, RecordType.Srv);
        Assert.Equal(expected, answer.ReturnCode);
        Assert.Empty(answer.AnswerRecords);
        if (expected != ReturnCode.Refused)
        {
            SoaRecord soa = Assert.IsType<SoaRecord>(Assert.Single(answer.AuthorityRecords));
            Assert.Equal(30, soa.NegativeCachingTTL);
        }
    }

    [Fact]
    public void A_lookup_answers_the_published_endpoint_and_a_forged_registration_is_a_403()
    {
        WireGuardDirectory directory = Directory();
        var responder = new ReflectorResponder("", false, null, null, directory);
        StunAddress home = At("203.0.113.40:51820");
        byte[] key = Register(responder, home, Clock + 5);

        byte[] lookup = new byte[WireGuardRegister.RequestLength];
        Assert.Equal(lookup.Length, WireGuardRegister.WriteLookup(lookup, RandomNumberGenerator.GetBytes(12), key));
        Assert.Equal(ReflectorOutcome.StunSuccess, Send(responder, lookup, At("198.51.100.2:5000"), out byte[] reply));
        Assert.Equal(StunParseStatus.NotRequest, StunResponse.TryParse(reply, out StunResponse found));
        Assert.Equal(home, found.WgEndpoint);
        Assert.Equal(Clock + 5, found.WgTime);
        Assert.Equal(At("198.51.100.2:5000"), found.MappedAddress);

        // Signed with another private key: refused, and the endpoint stays.
        byte[] forged = RegisterRequest(RandomNumberGenerator.GetBytes(32), key, Clock + 6);
        Assert.Equal(ReflectorOutcome.StunError, Send(responder, forged, At("192.0.2.66:666"), out byte[] refusal));
        Assert.Equal(StunParseStatus.NotRequest, StunResponse.TryParse(refusal, out StunResponse error));
        Assert.Equal(403, error.ErrorCode);
        Assert.Equal(1, directory.RefusedBadMac);
        Assert.True(directory.TryFind(key, 1, out WireGuardRegistration still));
        Assert.Equal(home, still.Endpoint);

        byte[] unknown = new byte[WireGuardRegister.RequestLength];
        WireGuardRegister.WriteLookup(unknown, RandomNumberGenerator.GetBytes(12), RandomNumberGenerator.GetBytes(32));
        Assert.Equal(ReflectorOutcome.StunError, Send(responder, unknown, home, out byte[] missing));
        Assert.Equal(StunParseStatus.NotRequest, StunResponse.TryParse(missing, out StunResponse notFound));
        Assert.Equal(404, notFound.ErrorCode);

        // Without --dns-sd the same lookup is a plain Binding request.
        var plain = new ReflectorResponder("", false, null, null, null);
        Assert.Equal(ReflectorOutcome.StunSuccess, Send(plain, lookup, home, out byte[] bare));
        Assert.Equal(StunParseStatus.NotRequest, StunResponse.TryParse(bare, out StunResponse binding));
        Assert.False(binding.HasWgTime);
        Assert.True(binding.WgEndpoint.IsEmpty);
    }
}
