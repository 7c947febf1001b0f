using Postern.Testing;

namespace Postern.Aaaa.Integration.Tests;

/// <summary>Each option that lets queries through changes exactly what it says (postern-aaaa in
/// front of the middle host's DNS server).</summary>
public sealed class ExceptionTests
{
    private static DigResult Aaaa(DnsLab lab, string server, string name, params string[] options) =>
        DnsLab.Dig(lab.Client, server, "AAAA", name, options);

    private static void AssertPostern(DigResult result) =>
        Assert.True(result.Status == "NOERROR" && result.AnswerCount == 0 && result.FromPostern, result.Output);

    private static void AssertReal(DigResult result) =>
        Assert.True(result.Answers("AAAA").SequenceEqual(new[] { DnsLab.RealV6 }) && !result.FromPostern, result.Output);

    [RootFact]
    public void Except_domain_keeps_real_AAAA_for_the_domain_and_below_only()
    {
        using var lab = new DnsLab(forwarder: true);
        using BackgroundProcess postern = DnsLab.StartPostern(lab.Middle, "--except-domain", "keep.example.test.");
        AssertReal(Aaaa(lab, DnsLab.MiddleV4, "keep.example.test"));
        AssertReal(Aaaa(lab, DnsLab.MiddleV4, "deep.sub.KEEP.example.test"));
        AssertPostern(Aaaa(lab, DnsLab.MiddleV4, "notkeep.example.test"));
        AssertPostern(Aaaa(lab, DnsLab.MiddleV4, "example.test"));
        DnsLab.Stats stats = DnsLab.ReadStats(postern);
        Assert.Equal(2, stats["passed.except-domain"]);
        Assert.Equal(2, stats["answered"]);
    }

    [RootFact]
    public void Except_domains_file_is_read()
    {
        using var lab = new DnsLab(forwarder: true);
        string file = Path.GetTempFileName();
        try
        {
            File.WriteAllText(file, "# kept names\nkeep.example.test  # inline comment\n\n");
            using BackgroundProcess postern = DnsLab.StartPostern(lab.Middle, "--except-domains-file", file);
            AssertReal(Aaaa(lab, DnsLab.MiddleV4, "www.keep.example.test"));
            AssertPostern(Aaaa(lab, DnsLab.MiddleV4, "www.other.example.test"));
        }
        finally
        {
            File.Delete(file);
        }
    }

    [RootFact]
    public void Except_client_passes_only_that_clients_queries()
    {
        using var lab = new DnsLab(forwarder: true);
        using BackgroundProcess postern = DnsLab.StartPostern(lab.Middle, "--except-client", DnsLab.ClientV4 + "/32");
        // Same host, two addresses: only the IPv4 one is excepted.
        AssertReal(Aaaa(lab, DnsLab.MiddleV4, "www.example.test"));
        AssertPostern(Aaaa(lab, DnsLab.MiddleV6, "www.example.test"));
        Assert.Equal(1, DnsLab.ReadStats(postern)["passed.except-client"]);
    }

    [RootFact]
    public void Pass_dnssec_passes_queries_with_the_DO_bit()
    {
        using var lab = new DnsLab(forwarder: true);
        using (BackgroundProcess postern = DnsLab.StartPostern(lab.Middle))
        {
            DigResult answered = Aaaa(lab, DnsLab.MiddleV4, "www.example.test", "+dnssec");
            AssertPostern(answered);
            // RFC 3225: the DO bit is copied into the reply's OPT record.
            Assert.Contains("flags: do;", answered.Output, StringComparison.Ordinal);
        }
        using (BackgroundProcess postern = DnsLab.StartPostern(lab.Middle, "--pass-dnssec"))
        {
            AssertReal(Aaaa(lab, DnsLab.MiddleV4, "www.example.test", "+dnssec"));
            AssertPostern(Aaaa(lab, DnsLab.MiddleV4, "www.example.test", "+nodnssec"));
            Assert.Equal(1, DnsLab.ReadStats(postern)["passed.dnssec"]);
        }
    }

    [RootFact]
    public void Qtype_HTTPS_is_answered_only_when_asked_for()
    {
        using var lab = new DnsLab(forwarder: true);
        using (DnsLab.StartPostern(lab.Middle))
        {
            DigResult https = DnsLab.Dig(lab.Client, DnsLab.MiddleV4, "HTTPS", "www.example.test");
            Assert.False(https.FromPostern, https.Output);
            Assert.False(https.TimedOut, https.Output);
        }
        using (DnsLab.StartPostern(lab.Middle, "--qtype", "HTTPS"))
        {
            DigResult https = DnsLab.Dig(lab.Client, DnsLab.MiddleV4, "HTTPS", "www.example.test");
            AssertPostern(https);
            AssertPostern(Aaaa(lab, DnsLab.MiddleV4, "www.example.test"));
            DigResult a = DnsLab.Dig(lab.Client, DnsLab.MiddleV4, "A", "www.example.test");
            Assert.Equal(new[] { DnsLab.RealV4 }, a.Answers("A"));
        }
    }

    [RootFact]
    public void No_soa_and_negative_ttl_shape_the_reply()
    {
        using var lab = new DnsLab(forwarder: true);
        using (DnsLab.StartPostern(lab.Middle, "--negative-ttl", "7"))
        {
            DigResult result = Aaaa(lab, DnsLab.MiddleV4, "www.example.test");
            Assert.Equal(1, result.AuthorityCount);
            Assert.Equal(7, result.SoaTtl);
            Assert.Contains("1 3600 600 86400 7", result.Output, StringComparison.Ordinal);
        }
        using (DnsLab.StartPostern(lab.Middle, "--no-soa"))
        {
            DigResult result = Aaaa(lab, DnsLab.MiddleV4, "www.example.test", "+noedns");
            Assert.True(result.Status == "NOERROR" && result.AnswerCount == 0 && result.AuthorityCount == 0, result.Output);
            Assert.DoesNotContain("OPT PSEUDOSECTION", result.Output, StringComparison.Ordinal);
            Assert.True(result.QueryTimeMs < DnsLab.UpstreamDelay.TotalMilliseconds / 2, result.Output);
        }
    }

    [RootFact]
    public void Auto_answers_only_while_there_is_no_IPv6_default_route()
    {
        using var lab = new DnsLab(forwarder: true);
        using BackgroundProcess postern = DnsLab.StartPostern(lab.Middle, "--auto");
        AssertPostern(Aaaa(lab, DnsLab.MiddleV4, "www.example.test"));

        lab.Middle.Check("ip", "-6", "route", "add", "default", "via", DnsLab.ServerV6);
        Assert.True(postern.WaitForOutput("IPv6 default route present", TimeSpan.FromSeconds(10)), postern.Output);
        AssertReal(Aaaa(lab, DnsLab.MiddleV4, "www.example.test"));

        lab.Middle.Check("ip", "-6", "route", "del", "default", "via", DnsLab.ServerV6);
        Assert.True(postern.WaitForOutput("IPv6 default route gone", TimeSpan.FromSeconds(10)), postern.Output);
        AssertPostern(Aaaa(lab, DnsLab.MiddleV4, "www.example.test"));
        Assert.Equal(1, DnsLab.ReadStats(postern)["passed.ipv6-route"]);
    }
}
