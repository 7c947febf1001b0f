namespace Postern.Netfilter.Tests;

/// <summary><c>iptables -S</c> output as iptables v1.8.9 (nf_tables) printed it, in a scratch
/// network namespace where the rules were added with, for example,
/// <c>iptables -w -t filter -I INPUT 1 -p udp --dport 53 -m string --algo bm --hex-string
/// "|00001c0001|" -j NFQUEUE --queue-num 53 --queue-bypass -m comment --comment
/// postern-aaaa:q53</c> and <c>... -j ACCEPT -m comment --comment "an admin said \"keep\"
/// here"</c>. ip6tables printed the same lines; iptables-legacy v1.8.9, given the admin's
/// rule and the q53 queue rule, printed those two lines exactly as here.</summary>
public static class IptablesListing
{
    public const string FilterInput = """
        -P INPUT ACCEPT
        -A INPUT -p tcp -m tcp --dport 80 -j ACCEPT
        -A INPUT -p tcp -m tcp --dport 22 -m comment --comment "back\\slash" -j ACCEPT
        -A INPUT -p udp -m udp --dport 53 -m comment --comment "an admin said \"keep\" here" -j ACCEPT
        -A INPUT -p udp -m udp --dport 53 -m string --hex-string "|0000410001|" --algo bm -m comment --comment "postern-aaaa:q530" -j NFQUEUE --queue-balance 53:56 --queue-bypass
        -A INPUT -p udp -m udp --dport 53 -m string --hex-string "|00001c0001|" --algo bm -m comment --comment "postern-aaaa:q53" -j NFQUEUE --queue-num 53 --queue-bypass
        """;

    public const string FilterOutput = """
        -P OUTPUT ACCEPT
        -A OUTPUT -p udp -m udp --dport 53 -m mark ! --mark 0x5053 -m string --hex-string "|00001c0001|" --algo bm -m comment --comment "postern-aaaa:q53" -j NFQUEUE --queue-num 53 --queue-bypass
        """;

    public const string RawOutput = """
        -P OUTPUT ACCEPT
        -A OUTPUT -p udp -m udp --sport 53 -m comment --comment "postern-aaaa:q53" -j CT --notrack
        -A OUTPUT -m mark --mark 0x5053 -m comment --comment "postern-aaaa:q53" -j CT --notrack
        """;

    public static string[] Lines(string listing) => listing.Split('\n');

    /// <summary>The rule lines (without the -P policy line) of a listing.</summary>
    public static string[] Rules(string listing) => Lines(listing).Where(line => line.StartsWith("-A ", StringComparison.Ordinal)).ToArray();
}
