using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Postern.Testing;

/// <summary>Debian's miniupnpd (miniupnpd-nftables 2.3.1) as a lab NAT's gateway daemon: NAT-PMP
/// and PCP on the LAN side's 5351, mappings as nft DNAT rules in the NAT's namespace. What it
/// needs there (docs/map-gateway-lab.md):
/// <list type="bullet">
/// <item>the nft chains it adds its rules to, made here with <c>nft</c>: Debian's
/// <c>/etc/miniupnpd/nft_init.sh</c> does not work (it sources the iptables helper and leaves
/// <c>$NFT</c> unset);</item>
/// <item>its external address learned by STUN (<c>ext_perform_stun</c>) from a postern-reflector
/// with <c>--alternate</c>: it counts the documentation ranges as reserved and refuses to map
/// behind them otherwise (NAT-PMP "network failure"), and without an alternate address its own
/// STUN test calls the NAT restrictive and disables forwarding.</item>
/// </list>
/// Its configuration, pid file and lease file live in a scratch directory; UPnP IGD (HTTP on
/// <see cref="HttpPort"/> and SSDP on the LAN interface) is on only with <see cref="MiniUpnpdOptions.Upnp"/>. Disposing stops it (SIGTERM, then SIGKILL) and checks that it is gone; the
/// namespace's own disposal would end it too.</summary>
public sealed class MiniUpnpd : IDisposable
{
    public const string Program = "/usr/sbin/miniupnpd";

    public const int Port = 5351;

    /// <summary>Its UPnP HTTP port (descriptions and SOAP control), with <see cref="MiniUpnpdOptions.Upnp"/>.</summary>
    public const int HttpPort = 5000;

    private static readonly TimeSpan s_startTimeout = TimeSpan.FromSeconds(30);

    private readonly ScratchDirectory _scratch = new("miniupnpd");
    private readonly MiniUpnpdOptions _options;
    private readonly BackgroundProcess? _foreground;
    private bool _disposed;

    private MiniUpnpd(Netns gateway, string wan, string lan, string stunServer, MiniUpnpdOptions options)
    {
        Gateway = gateway;
        WanInterface = wan;
        _options = options;
        ConfigPath = _scratch.Combine("miniupnpd.conf");
        PidPath = _scratch.Combine("miniupnpd.pid");
        LeasePath = _scratch.Combine("miniupnpd.leases");
        try
        {
            File.WriteAllText(ConfigPath, Configuration(wan, lan, stunServer, LeasePath, options));
            if (options.Debug)
            {
                _foreground = gateway.Start(Program, "-d", "-f", ConfigPath, "-P", PidPath);
            }
            else
            {
                // It forks and the parent exits; the pid file names the daemon.
                gateway.Check(Program, "-f", ConfigPath, "-P", PidPath);
            }
        }
        catch
        {
            _scratch.Dispose();
            throw;
        }
    }

    /// <summary>Creates miniupnpd's nft chains in <paramref name="gateway"/>, starts it with its
    /// external interface <paramref name="wan"/> and LAN interface <paramref name="lan"/>, and
    /// waits until it serves 5351 (after its STUN test against <paramref name="stunServer"/>'s
    /// 3478, which must run postern-reflector with --alternate).</summary>
    public static MiniUpnpd Start(Netns gateway, string wan, string lan, string stunServer, MiniUpnpdOptions? options = null)
    {
        CreateChains(gateway);
        var daemon = new MiniUpnpd(gateway, wan, lan, stunServer, options ?? new MiniUpnpdOptions());
        try
        {
            daemon.WaitServing();
        }
        catch
        {
            daemon.Dispose();
            throw;
        }
        return daemon;
    }

    public Netns Gateway { get; }

    public string WanInterface { get; }

    public string ConfigPath { get; }

    public string PidPath { get; }

    public string LeasePath { get; }

    /// <summary>What it printed (only when started with <see cref="MiniUpnpdOptions.Debug"/>).</summary>
    public string Output => _foreground?.Output ?? "(miniupnpd ran as a daemon, without -d: no output kept)";

    /// <summary>The DNAT rules it holds (its prerouting chain).</summary>
    public string NatRules => Gateway.Check("nft", "list", "chain", "inet", "filter", "prerouting_miniupnpd");

    /// <summary>The DNAT rules of one external port and protocol ("udp", "tcp") in its chain:
    /// each line reads <c>iif "WAN" @nh,72,8 0x11 th dport 40000 dnat ip to 198.51.100.2:40000</c>
    /// (0x11 UDP, 0x6 TCP: the IPv4 protocol byte).</summary>
    public string[] DnatRules(string protocol, int externalPort)
    {
        string number = protocol switch
        {
            "udp" => "0x11",
            "tcp" => "0x6",
            _ => throw new ArgumentException("udp or tcp", nameof(protocol)),
        };
        string port = "th dport " + externalPort.ToString(CultureInfo.InvariantCulture) + " ";
        return NatRules.Split('\n', StringSplitOptions.TrimEntries)
            .Where(line => line.Contains(port, StringComparison.Ordinal) && line.Contains("@nh,72,8 " + number + " ", StringComparison.Ordinal) &&
                           line.Contains(" dnat ", StringComparison.Ordinal))
            .ToArray();
    }

    /// <summary>Debian's upnpc (miniupnpc) run in <paramref name="client"/> against this daemon's
    /// description URL (<c>-u</c>: no SSDP search of its own), e.g. <c>-l</c> to list the mappings.</summary>
    public CommandResult Upnpc(Netns client, string lanAddress, params string[] arguments) =>
        client.Run(TimeSpan.FromSeconds(30), "upnpc",
            new[] { "-u", $"http://{lanAddress}:{HttpPort.ToString(CultureInfo.InvariantCulture)}/rootDesc.xml" }.Concat(arguments).ToArray());

    /// <summary>Waits until <paramref name="done"/> holds for its rules; false after <paramref name="timeout"/>.</summary>
    public bool WaitRules(Func<MiniUpnpd, bool> done, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < timeout)
        {
            if (done(this))
            {
                return true;
            }
            Thread.Sleep(200);
        }
        return done(this);
    }

    /// <summary>The chains miniupnpd 2.3.1's nftables build adds to (its defaults: table inet
    /// filter; chains miniupnpd, prerouting_miniupnpd, postrouting_miniupnpd), hooked where its
    /// nft_init.sh would hook them.</summary>
    private static void CreateChains(Netns gateway)
    {
        const string ruleset = """
            table inet filter {
              chain miniupnpd { }
              chain prerouting_miniupnpd { }
              chain postrouting_miniupnpd { }
              chain prerouting { type nat hook prerouting priority -100; policy accept; jump prerouting_miniupnpd; }
              chain postrouting { type nat hook postrouting priority 100; policy accept; jump postrouting_miniupnpd; }
              chain forward { type filter hook forward priority 0; policy accept; jump miniupnpd; }
            }
            """;
        CommandResult result = gateway.Sh("nft -f - <<'EOF'\n" + ruleset + "\nEOF");
        result.EnsureSuccess();
    }

    private static string Configuration(string wan, string lan, string stunServer, string leaseFile, MiniUpnpdOptions options)
    {
        var text = new StringBuilder();
        text.Append("ext_ifname=").Append(wan).Append('\n');
        text.Append("listening_ip=").Append(lan).Append('\n');
        text.Append("enable_natpmp=yes\n");
        if (options.Upnp)
        {
            // SSDP on listening_ip's interface (it joins 239.255.255.250 there), HTTP on a fixed port.
            text.Append("enable_upnp=yes\n");
            text.Append("http_port=").Append(HttpPort.ToString(CultureInfo.InvariantCulture)).Append('\n');
        }
        else
        {
            text.Append("enable_upnp=no\n");
        }
        text.Append(options.SecureMode ? "secure_mode=yes\n" : "secure_mode=no\n");
        text.Append("ext_perform_stun=yes\n");
        text.Append("ext_stun_host=").Append(stunServer).Append('\n');
        text.Append("ext_stun_port=3478\n");
        text.Append("min_lifetime=").Append(options.MinLifetime.ToString(CultureInfo.InvariantCulture)).Append('\n');
        text.Append("system_uptime=no\n");
        text.Append("lease_file=").Append(leaseFile).Append('\n');
        // Permission rules are tried in order: the extra ones (a deny) before the LAN's allow.
        foreach (string rule in options.Rules)
        {
            text.Append(rule).Append('\n');
        }
        text.Append("allow 1024-65535 198.51.100.0/24 1024-65535\n");
        text.Append("deny 0-65535 0.0.0.0/0 0-65535\n");
        return text.ToString();
    }

    private void WaitServing()
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < s_startTimeout)
        {
            if (_foreground is { HasExited: true })
            {
                throw new InvalidOperationException("miniupnpd exited at start:\n" + _foreground.Output);
            }
            // Bound to 5351 only once its STUN test enabled forwarding.
            if (Gateway.Run("ss", "-Hlun", "sport", "=", ":" + Port.ToString(CultureInfo.InvariantCulture)).Output.Trim().Length > 0 &&
                (!_options.Upnp || Gateway.Run("ss", "-Hltn", "sport", "=", ":" + HttpPort.ToString(CultureInfo.InvariantCulture)).Output.Trim().Length > 0) &&
                File.Exists(PidPath))
            {
                return;
            }
            Thread.Sleep(100);
        }
        throw new InvalidOperationException($"miniupnpd did not serve {Port} within {s_startTimeout.TotalSeconds} s:\n{Output}");
    }

    /// <summary>The daemon's pid, from its pid file; null when there is none.</summary>
    private int? Pid()
    {
        try
        {
            return int.TryParse(File.ReadAllText(PidPath).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out int pid) ? pid : null;
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>Whether the process runs (a zombie does not: its parent has yet to reap it).</summary>
    private static bool Alive(int pid)
    {
        string stat;
        try
        {
            stat = File.ReadAllText($"/proc/{pid}/stat");
        }
        catch (IOException)
        {
            // Gone between two looks, or long gone.
            return false;
        }
        // The state follows the command name, which is in parentheses and may hold spaces.
        return stat[(stat.LastIndexOf(')') + 1)..].TrimStart() is not ['Z', ..];
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        try
        {
            if (Pid() is int pid)
            {
                Shell.Run("kill", "-TERM", pid.ToString(CultureInfo.InvariantCulture));
                var clock = Stopwatch.StartNew();
                while (Alive(pid) && clock.Elapsed < TimeSpan.FromSeconds(5))
                {
                    Thread.Sleep(50);
                }
                if (Alive(pid))
                {
                    Shell.Run("kill", "-KILL", pid.ToString(CultureInfo.InvariantCulture));
                }
            }
            _foreground?.Dispose();
        }
        finally
        {
            _scratch.Dispose();
        }
    }
}

/// <summary>How a lab's <see cref="MiniUpnpd"/> is configured beyond the defaults.</summary>
public sealed record MiniUpnpdOptions
{
    /// <summary>Permission rules tried before the LAN's allow (e.g. <c>deny 0-65535 198.51.100.0/24
    /// 40100-40100</c>: no mapping of internal port 40100 to any external port).</summary>
    public IReadOnlyList<string> Rules { get; init; } = Array.Empty<string>();

    /// <summary>The shortest PCP lifetime it grants (its <c>min_lifetime</c>, 120 s by default); a
    /// shorter request is raised to it. NAT-PMP lifetimes are granted as asked.</summary>
    public int MinLifetime { get; init; } = 120;

    /// <summary>In the foreground with <c>-d</c>, its debug log kept in <see cref="MiniUpnpd.Output"/>.
    /// Off for a refused PCP request: with -d, 2.3.1 tries external port after external port for
    /// a denied internal port, logging each (28,000 lines in the first 25 s here), and answers no
    /// request meanwhile; without -d it answered NOT_AUTHORIZED at once.</summary>
    public bool Debug { get; init; } = true;

    /// <summary>secure_mode: UPnP clients may map only to their own address. Off lets a test's
    /// upnpc map a port to another LAN address (a mapping that another host holds).</summary>
    public bool SecureMode { get; init; } = true;

    /// <summary>UPnP IGD on (enable_upnp=yes): SSDP on the LAN interface, HTTP on <see cref="MiniUpnpd.HttpPort"/>.</summary>
    public bool Upnp { get; init; }
}
