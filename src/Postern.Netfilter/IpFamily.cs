namespace Postern.Netfilter;

public enum IpFamily : byte
{
    Ipv4 = 4,
    Ipv6 = 6,
}
