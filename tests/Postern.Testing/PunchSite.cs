using System.Globalization;

namespace Postern.Testing;

/// <summary>One site of a <see cref="PunchLab"/>: a host behind its NAT (or behind an inner NAT
/// behind it, with <see cref="SiteOptions.DoubleNat"/>). With <see cref="PunchLab.SameNat"/> both
/// sites share one <see cref="Nat"/>, its options and its public address.</summary>
public sealed class PunchSite
{
    internal PunchSite(string name, SiteOptions options, Netns host, string hostAddress, Netns nat, string publicAddress,
        string natWanInterface, string natLanInterface, Netns? innerNat, string? innerNatWanAddress)
    {
        Name = name;
        Options = options;
        Host = host;
        HostAddress = hostAddress;
        Nat = nat;
        PublicAddress = publicAddress;
        NatWanInterface = natWanInterface;
        NatLanInterface = natLanInterface;
        InnerNat = innerNat;
        InnerNatWanAddress = innerNatWanAddress;
    }

    /// <summary>"a" or "b".</summary>
    public string Name { get; }

    public SiteOptions Options { get; }

    /// <summary>The site's host, where a punch client runs.</summary>
    public Netns Host { get; }

    /// <summary>The host's own (local) address: 198.51.100.2 (site A) or .130 (site B); with
    /// <see cref="SiteOptions.DoubleNat"/> 192.0.2.2 or .130.</summary>
    public string HostAddress { get; }

    /// <summary>The NAT on the internet side (the outer one with a double NAT). Shared by both
    /// sites with <see cref="PunchLab.SameNat"/>.</summary>
    public Netns Nat { get; }

    /// <summary>The NAT's public address: what the reflector sees as the host's.</summary>
    public string PublicAddress { get; }

    /// <summary>The interface of <see cref="Nat"/> on the internet side (the WAN that the rules name).</summary>
    public string NatWanInterface { get; }

    /// <summary>The interface of <see cref="Nat"/> towards this site's host (or inner NAT).</summary>
    public string NatLanInterface { get; }

    /// <summary>The inner NAT with <see cref="SiteOptions.DoubleNat"/>, else null.</summary>
    public Netns? InnerNat { get; }

    /// <summary>The inner NAT's WAN address (198.51.100.2 or .130: the outer NAT's view of the
    /// host), else null.</summary>
    public string? InnerNatWanAddress { get; }

    /// <summary>Every NAT namespace between the host and the internet, inner first.</summary>
    public IReadOnlyList<Netns> Nats => InnerNat is null ? new[] { Nat } : new[] { InnerNat, Nat };

    public CommandResult Run(string file, params string[] arguments) => Host.Run(file, arguments);

    public CommandResult Run(TimeSpan timeout, string file, params string[] arguments) => Host.Run(timeout, file, arguments);

    /// <summary>Runs a shell command line in the host.</summary>
    public CommandResult Sh(string script, TimeSpan? timeout = null) => Host.Sh(script, timeout);

    /// <summary>Starts a program in the host; it ends with the lab at the latest.</summary>
    public BackgroundProcess Start(string file, params string[] arguments) => Host.Start(file, arguments);

    /// <summary>Sets the UDP conntrack timeouts (see <see cref="SiteOptions.UdpTimeout"/>) in every
    /// NAT of the site now; a mapping already made keeps the timeout it was last refreshed with
    /// until its next packet. With <see cref="PunchLab.SameNat"/> it is the other site's NAT too.</summary>
    public void SetUdpTimeout(TimeSpan timeout)
    {
        string seconds = WholeSeconds(timeout);
        foreach (Netns nat in Nats)
        {
            nat.Sysctl("net.netfilter.nf_conntrack_udp_timeout", seconds);
            nat.Sysctl("net.netfilter.nf_conntrack_udp_timeout_stream", seconds);
        }
    }

    private static string WholeSeconds(TimeSpan timeout)
    {
        if (timeout < TimeSpan.FromSeconds(1) || timeout.Ticks % TimeSpan.TicksPerSecond != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(timeout), timeout, "conntrack timeouts are whole seconds, at least 1");
        }
        return ((long)timeout.TotalSeconds).ToString(CultureInfo.InvariantCulture);
    }

    public override string ToString() => $"site {Name} ({Options.Nat}{(Options.WanFirewall ? ", firewall" : "")}{(Options.DoubleNat ? ", double NAT" : "")}): {HostAddress} -> {PublicAddress}";
}
