using System.Net;

namespace Postern.Reflector;

/// <summary>The four transport addresses of an RFC 5780 server: the primary and the alternate IP
/// address, each with the primary and the alternate port. An endpoint's index has bit 1 for the
/// alternate IP and bit 0 for the alternate port, so "change IP" is <c>index ^ 2</c> and "change
/// port" is <c>index ^ 1</c> (RFC 5780 section 6.1), and OTHER-ADDRESS is <c>index ^ 3</c>.</summary>
public sealed class StunEndpoints
{
    public const int Count = 4;
    public const int ChangePort = 1;
    public const int ChangeIp = 2;

    private readonly byte[][] _addresses;
    private readonly ushort[] _ports;

    public StunEndpoints(IPAddress primary, ushort primaryPort, IPAddress alternate, ushort alternatePort)
    {
        _addresses = new[] { Bytes(primary), Bytes(alternate) };
        _ports = new[] { primaryPort, alternatePort };
        if (_addresses[0].Length != _addresses[1].Length)
        {
            throw new ArgumentException("the primary and the alternate address must be of one family");
        }
    }

    private static byte[] Bytes(IPAddress address) =>
        address.IsIPv4MappedToIPv6 ? address.MapToIPv4().GetAddressBytes() : address.GetAddressBytes();

    public ReadOnlySpan<byte> Address(int index) => _addresses[(index >> 1) & 1];

    public ushort Port(int index) => _ports[index & 1];

    public IPAddress IPAddressOf(int index) => new(_addresses[(index >> 1) & 1]);
}
