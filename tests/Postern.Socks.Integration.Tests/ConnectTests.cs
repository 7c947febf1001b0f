using Postern.Testing;

namespace Postern.Socks.Integration.Tests;

/// <summary>CONNECT with Debian's curl (--socks5-hostname: the server resolves the name) from
/// behind a site's NAT, without and with RFC 1929, the users file reread on SIGHUP, and --allow.
/// The web server is Python's http.server on the reflector host, and for a name the relay host's
/// own "localhost" (resolved by the server, in its namespace).</summary>
public class ConnectTests
{
    private const string Relay = PunchLab.RelayAddress + ":1080";

    private static BackgroundProcess StartWeb(Netns host, string address, ScratchDirectory scratch)
    {
        File.WriteAllText(scratch.Combine("hello.txt"), "hello through the relay\n");
        BackgroundProcess web = host.Start(UdpPeer.Python, "-m", "http.server", "8080", "--bind", address, "--directory", scratch.Path);
        Assert.True(SpinWait.SpinUntil(() => host.Run("ss", "-Hltn", "sport = :8080").Output.Trim().Length > 0, Socks.Timeout), web.Output);
        return web;
    }

    private static CommandResult Curl(Netns host, string url, params string[] extra) =>
        host.Run(TimeSpan.FromSeconds(30), "curl", new[] { "-sS", "--max-time", "15", "--socks5-hostname", Relay }.Concat(extra).Append(url).ToArray());

    [RootFact]
    public void Curl_fetches_by_address_and_by_name_without_authentication()
    {
        using var lab = new PunchLab(new SiteOptions { Nat = SiteNat.Symmetric });
        using var scratch = new ScratchDirectory("socks-web");
        using Socks socks = Socks.Start(lab.Relay, "--listen", Relay);
        using BackgroundProcess web = StartWeb(lab.Reflector, PunchLab.ReflectorAddress, scratch);
        using BackgroundProcess local = StartWeb(lab.Relay, "127.0.0.1", scratch);

        CommandResult byAddress = Curl(lab.A.Host, $"http://{PunchLab.ReflectorAddress}:8080/hello.txt");
        Assert.Equal("hello through the relay\n", byAddress.EnsureSuccess().Output);
        CommandResult byName = Curl(lab.A.Host, "http://localhost:8080/hello.txt");
        Assert.Equal("hello through the relay\n", byName.EnsureSuccess().Output);
        CommandResult refused = Curl(lab.A.Host, $"http://{PunchLab.ReflectorAddress}:8081/");
        Assert.Equal(97, refused.ExitCode);
        string stats = socks.Stats();
        Assert.Equal(2, Socks.Counter(stats, "connects"));
        Assert.Equal(1, Socks.Counter(stats, "refused.connection-refused"));
    }

    [RootFact]
    public void Curl_with_rfc_1929_passes_with_the_right_password_and_the_users_file_is_reread_on_sighup()
    {
        using var lab = new PunchLab();
        using var scratch = new ScratchDirectory("socks-web");
        string users = scratch.Combine("users");
        File.WriteAllText(users, "alice:s3cret\n");
        using Socks socks = Socks.Start(lab.Relay, "--listen", Relay, "--users", users);
        using BackgroundProcess web = StartWeb(lab.Reflector, PunchLab.ReflectorAddress, scratch);
        string url = $"http://{PunchLab.ReflectorAddress}:8080/hello.txt";

        Assert.Equal("hello through the relay\n", Curl(lab.A.Host, url, "--proxy-user", "alice:s3cret").EnsureSuccess().Output);
        Assert.Equal(97, Curl(lab.A.Host, url, "--proxy-user", "alice:wrong").ExitCode);
        Assert.Equal(97, Curl(lab.A.Host, url).ExitCode); // no credentials: no acceptable method
        Assert.Equal(97, Curl(lab.A.Host, url, "--proxy-user", "bob:hunter2").ExitCode);

        File.WriteAllText(users, "alice:s3cret\nbob:hunter2\n");
        socks.Process.Signal(1);
        Assert.True(socks.Process.WaitForOutput("SIGHUP: 2 users loaded", Socks.Timeout), socks.Output);
        Assert.Equal("hello through the relay\n", Curl(lab.A.Host, url, "--proxy-user", "bob:hunter2").EnsureSuccess().Output);

        File.WriteAllText(users, "broken line\n");
        socks.Process.Signal(1);
        Assert.True(socks.Process.WaitForOutput("SIGHUP: keeping the 2 users loaded before", Socks.Timeout), socks.Output);
        Assert.Equal("hello through the relay\n", Curl(lab.A.Host, url, "--proxy-user", "bob:hunter2").EnsureSuccess().Output);
        Assert.False(socks.Process.HasExited);

        string stats = socks.Stats();
        Assert.Equal(2, Socks.Counter(stats, "refused.auth-failed"));
        Assert.Equal(1, Socks.Counter(stats, "refused.no-method"));
        Assert.Equal(1, Socks.Counter(stats, "users-reloads"));
        Assert.Equal(1, Socks.Counter(stats, "users-reload-failures"));
    }

    [RootFact]
    public void A_client_outside_allow_is_told_not_allowed_by_ruleset()
    {
        using var lab = new PunchLab();
        using var scratch = new ScratchDirectory("socks-web");
        using Socks socks = Socks.Start(lab.Relay, "--listen", Relay, "--allow", PunchLab.SiteBPublicAddress + "/32");
        using BackgroundProcess web = StartWeb(lab.Reflector, PunchLab.ReflectorAddress, scratch);
        string url = $"http://{PunchLab.ReflectorAddress}:8080/hello.txt";
        CommandResult fromA = Curl(lab.A.Host, url, "-v");
        Assert.Equal(97, fromA.ExitCode);
        // curl 7.88 says the reply code: "Can't complete SOCKS5 connection to ... (2)", 0x02 "not allowed by ruleset".
        Assert.Contains("(2)", fromA.Error);
        Assert.Equal("hello through the relay\n", Curl(lab.B.Host, url).EnsureSuccess().Output);
        Assert.Equal(1, socks.Counter("refused.not-allowed"));
    }
}
