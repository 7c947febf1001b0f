using System.Net;
using System.Net.Sockets;
using Postern.Testing;

namespace Postern.Reflector.Integration.Tests;

/// <summary>postern-reflector's DNS-SD flags: every bad one is one sentence and exit 2 before
/// anything is bound; a DNS port in use is one sentence and exit 1.</summary>
public class DnsSdFlagTests : IDisposable
{
    private readonly ScratchDirectory _scratch = new("dnssd-flags");

    private string KeyFile(string contents)
    {
        string path = _scratch.Combine(Guid.NewGuid().ToString("N") + ".key");
        File.WriteAllText(path, contents);
        return path;
    }

    private const string GoodKey = "yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk=";

    public static TheoryData<string[], string> BadFlags => new()
    {
        { new[] { "--dns-listen", "udp:127.0.0.1:5353" }, "--dns-listen needs --dns-sd ZONE." },
        { new[] { "--dns-sd-ttl", "10" }, "--dns-sd-ttl needs --dns-sd ZONE." },
        { new[] { "--dns-sd", "vpn.example.net" }, "--dns-sd needs --dns-sd-key FILE, the reflector's private key (made with wg genkey)." },
        { new[] { "--dns-sd", "vpn.example.net", "--dns-sd-key", "/nonexistent/reflector.key" }, "--dns-sd-key: cannot read /nonexistent/reflector.key." },
        { new[] { "--dns-sd", "bad zone!", "--dns-sd-key", "KEY" }, "--dns-sd 'bad zone!' is not a domain name (labels of letters, digits and '-', as in vpn.example.net)." },
        { new[] { "--dns-sd", "vpn.example.net", "--dns-sd-key", "KEY", "--dns-sd-ttl", "0" }, "--dns-sd-ttl must be between 1 and 3600 seconds." },
        { new[] { "--dns-sd", "vpn.example.net", "--dns-sd-key", "KEY", "--dns-sd-table", "0" }, "--dns-sd-table must be between 1 and 1048576 keys." },
        { new[] { "--dns-sd", "vpn.example.net", "--dns-sd-key", "KEY", "--dns-listen", "quic:[::]:53" },
            "listen address 'quic:[::]:53' must start with udp: or tcp: (for example udp:[::]:3478) (see --help)" },
    };

    [BuiltBinaryTheory("postern-reflector")]
    [MemberData(nameof(BadFlags))]
    public void Bad_dns_sd_flags_are_one_sentence_and_exit_2(string[] flags, string sentence)
    {
        string key = KeyFile(GoodKey + "\n");
        CommandResult result = Shell.Run(Reflector.Binary,
            new[] { "--listen", "udp:127.0.0.1:0" }.Concat(flags.Select(f => f == "KEY" ? key : f)), TimeSpan.FromSeconds(10));
        Assert.Equal(2, result.ExitCode);
        Assert.Equal("postern-reflector: " + sentence, (result.Output + result.Error).Trim());
    }

    [BuiltBinaryFact("postern-reflector")]
    public void A_key_file_without_a_key_is_one_sentence_and_exit_2()
    {
        string key = KeyFile("not a key\n");
        CommandResult result = Shell.Run(Reflector.Binary, new[] { "--listen", "udp:127.0.0.1:0", "--dns-sd", "vpn.example.net", "--dns-sd-key", key },
            TimeSpan.FromSeconds(10));
        Assert.Equal(2, result.ExitCode);
        Assert.Equal($"postern-reflector: --dns-sd-key: {key} does not hold a WireGuard private key (44 characters of base64, as wg genkey writes it).",
            (result.Output + result.Error).Trim());
    }

    [BuiltBinaryFact("postern-reflector")]
    public void A_dns_port_in_use_is_one_sentence_and_exit_1()
    {
        using var taken = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        int port = ((IPEndPoint)taken.Client.LocalEndPoint!).Port;
        CommandResult result = Shell.Run(Reflector.Binary, new[] { "--listen", "udp:127.0.0.1:0", "--dns-sd", "vpn.example.net",
            "--dns-sd-key", KeyFile(GoodKey), "--dns-listen", $"udp:127.0.0.1:{port}", "--stats-interval", "0" }, TimeSpan.FromSeconds(20));
        Assert.Equal(1, result.ExitCode);
        Assert.Contains($"cannot bind dns-udp:127.0.0.1:{port}", result.Error, StringComparison.Ordinal);
    }

    public void Dispose() => _scratch.Dispose();
}
