using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Postern.Hosting;
using Postern.Wire;

namespace Postern.Map;

/// <summary>Asks the gateway for a mapping of the bound port: PCP MAP first (RFC 6887), NAT-PMP
/// (RFC 6886) when the gateway speaks only that, each as allowed. Requests go from an ephemeral
/// port to the gateway's 5351, are retransmitted 250 ms, 500 ms, 1 s, 2 s apart (RFC 6886 section
/// 3.1's schedule, cut to 4 tries so that STUN takes over within 4 s of a silent gateway), and every
/// datagram that is not the answer (truncated, another opcode, port or nonce) is counted and
/// ignored. The socket is connected to the gateway's 5351: the kernel then delivers only the
/// gateway's datagrams, and an ICMP port unreachable from a gateway with no server there comes
/// back as ECONNREFUSED, which ends the exchange at once (RFC 6886 sections 3.1 and 3.8). UPnP
/// IGD (<see cref="UpnpClient"/>), when allowed, is asked last: it is slower (an SSDP search, HTTP)
/// and does not share the 5351 port, so an ICMP port unreachable there does not skip it.</summary>
public sealed class GatewayClient : IDisposable
{
    public static readonly TimeSpan InitialRetransmit = TimeSpan.FromMilliseconds(250);
    public const int Attempts = 4;

    private readonly Socket _socket;
    private readonly IPEndPoint _gateway;
    private readonly bool _tcp;
    private readonly ushort _internalPort;
    private readonly GatewayCounters _counters;
    private readonly byte[] _nonce = new byte[Pcp.NonceLength];
    private readonly byte[] _buffer = new byte[Pcp.MaxMessageLength + 4];
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly UpnpClient? _upnp;
    private bool _pcpUnsupported;
    private GatewayGrant? _last;

    public GatewayClient(IPAddress gateway, MapProtocol protocol, IPEndPoint bind, IReadOnlyList<GatewayProtocol> protocols, GatewayCounters counters,
        int port = NatPmp.Port, IPEndPoint? upnpSearchTo = null)
    {
        _gateway = new IPEndPoint(gateway, port);
        _tcp = protocol == MapProtocol.Tcp;
        _internalPort = (ushort)bind.Port;
        Protocols = protocols;
        _counters = counters;
        RandomNumberGenerator.Fill(_nonce);
        _socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        IPAddress local = bind.Address.Equals(IPAddress.Any) || bind.AddressFamily != AddressFamily.InterNetwork ? IPAddress.Any : bind.Address;
        try
        {
            _socket.Bind(new IPEndPoint(local, 0));
            _socket.Connect(_gateway);
        }
        catch
        {
            _socket.Dispose();
            throw;
        }
        // Connecting chose the source address towards the gateway: PCP's client address.
        ClientAddress = ((IPEndPoint)_socket.LocalEndPoint!).Address;
        if (protocols.Contains(GatewayProtocol.Upnp))
        {
            _upnp = new UpnpClient(ClientAddress, protocol, _internalPort, counters, upnpSearchTo);
        }
    }

    public IPEndPoint Gateway => _gateway;

    public IReadOnlyList<GatewayProtocol> Protocols { get; }

    /// <summary>This host's address towards the gateway: PCP's client address, and the private
    /// address of the mapping.</summary>
    public IPAddress ClientAddress { get; }

    public TimeSpan Now => _clock.Elapsed;

    /// <summary>The mapping currently held, null when none.</summary>
    public GatewayGrant? Current => _last;

    /// <summary>Set when an answer's epoch showed the gateway lost its state (the mapping was made again).</summary>
    public bool LastEpochReset { get; private set; }

    /// <summary>Set when the last <see cref="Map"/> ended on an ICMP port unreachable: nothing
    /// serves PCP or NAT-PMP on the gateway's 5351.</summary>
    public bool LastUnreachable { get; private set; }

    /// <summary>Maps (or renews) the port for <paramref name="lifetime"/>; null when no allowed
    /// protocol got a grant (each refusal or silence is logged and counted).</summary>
    public GatewayGrant? Map(uint lifetime)
    {
        LastEpochReset = false;
        LastUnreachable = false;
        GatewayGrant? previous = _last;
        bool renewal = previous is not null;
        foreach (GatewayProtocol protocol in Protocols)
        {
            if (protocol == GatewayProtocol.Pcp && _pcpUnsupported)
            {
                continue;
            }
            if (renewal && previous!.Protocol != protocol)
            {
                continue;
            }
            if (LastUnreachable && protocol != GatewayProtocol.Upnp)
            {
                // PCP and NAT-PMP share the port: the other protocol would be refused the same way.
                continue;
            }
            GatewayGrant? grant = Ask(protocol, lifetime);
            if (LastUnreachable && protocol != GatewayProtocol.Upnp)
            {
                continue;
            }
            if (grant is null)
            {
                continue;
            }
            if (previous is not null && EpochLost(previous, grant))
            {
                _counters.AddEpochReset(protocol);
                LastEpochReset = true;
                Log.Warning($"gateway: {grant.ProtocolName} epoch {grant.Epoch} after {previous.Epoch} {(Now - previous.ReceivedAt).TotalSeconds:0} s ago: " +
                            "the gateway lost its mappings; mapping again");
                _last = null;
                grant = Ask(protocol, lifetime);
                if (grant is null)
                {
                    continue;
                }
                renewal = false;
            }
            _counters.AddGranted(protocol, renewal);
            _last = grant;
            return grant;
        }
        _last = null;
        return null;
    }

    private GatewayGrant? Ask(GatewayProtocol protocol, uint lifetime) => protocol switch
    {
        GatewayProtocol.Pcp => MapPcp(lifetime),
        GatewayProtocol.NatPmp => MapNatPmp(lifetime),
        _ => MapUpnp(lifetime),
    };

    /// <summary>UPnP IGD AddPortMapping of the bound port (external = internal: the port is the
    /// point). A lease of 0 (an IGD that takes only permanent ones) is renewed all the same, at
    /// half the lifetime asked, by adding it again.</summary>
    private GatewayGrant? MapUpnp(uint lifetime)
    {
        IPAddress? external = _upnp!.Map(lifetime, out uint granted);
        if (external is null)
        {
            return null;
        }
        TimeSpan held = TimeSpan.FromSeconds(granted == 0 ? lifetime : granted);
        return new GatewayGrant(GatewayProtocol.Upnp, new IPEndPoint(external, _internalPort), held, 0, Now, _upnp.ServerEndpoint);
    }

    private static bool EpochLost(GatewayGrant previous, GatewayGrant next) =>
        next.Protocol == GatewayProtocol.Upnp ? false : next.Protocol == GatewayProtocol.Pcp
            ? GatewayEpoch.PcpLost(previous.Epoch, next.Epoch, next.ReceivedAt - previous.ReceivedAt)
            : GatewayEpoch.NatPmpLost(previous.Epoch, next.Epoch, next.ReceivedAt - previous.ReceivedAt);

    /// <summary>Deletes the held mapping (lifetime 0, RFC 6886 section 3.4, RFC 6887 section 15);
    /// true when the gateway confirmed.</summary>
    public bool Delete()
    {
        if (_last is not { } held)
        {
            return false;
        }
        _last = null;
        if (held.Protocol == GatewayProtocol.Upnp)
        {
            if (!_upnp!.Delete())
            {
                return false;
            }
            _counters.AddDeleted(held.Protocol);
            return true;
        }
        GatewayGrant? answer = held.Protocol == GatewayProtocol.Pcp ? MapPcp(0, delete: true) : MapNatPmp(0, delete: true);
        if (answer is null)
        {
            return false;
        }
        _counters.AddDeleted(held.Protocol);
        return true;
    }

    private GatewayGrant? MapPcp(uint lifetime, bool delete = false)
    {
        Span<byte> request = stackalloc byte[Pcp.MapLength];
        Span<byte> client = stackalloc byte[16];
        Span<byte> any = stackalloc byte[16];
        Address16.From(ClientAddress).WriteTo(client);
        // RFC 6887 section 11.1: a renewal suggests what it holds; the first request asks for the
        // internal port and any address (the all-zeros IPv4-mapped address, ::ffff:0.0.0.0).
        ushort suggestedPort = _last?.External.Port is int held ? (ushort)held : _internalPort;
        if (_last is { } last)
        {
            Address16.From(last.External.Address).WriteTo(any);
        }
        else
        {
            any.Clear();
            any[10] = 0xff;
            any[11] = 0xff;
        }
        byte protocol = _tcp ? Pcp.ProtocolTcp : Pcp.ProtocolUdp;
        int length = Pcp.WriteMapRequest(request, lifetime, client, _nonce, protocol, _internalPort, delete ? (ushort)0 : suggestedPort, any);
        _counters.AddRequest(GatewayProtocol.Pcp);
        byte[] nonce = _nonce;
        PcpResponse answer = default;
        bool versionZero = false;
        bool got = Exchange(GatewayProtocol.Pcp, request.Slice(0, length), datagram =>
        {
            GatewayParseStatus status = Pcp.TryReadMapResponse(datagram, nonce, protocol, _internalPort, out answer);
            if (status == GatewayParseStatus.WrongVersion && datagram.Length >= 4 && datagram[0] == NatPmp.Version)
            {
                // RFC 6887 section 9: a NAT-PMP server answers a version it does not know with
                // a version-0 UNSUPP_VERSION.
                versionZero = true;
                return true;
            }
            return status == GatewayParseStatus.Ok;
        });
        if (!got)
        {
            return null;
        }
        if (versionZero || answer.Result == 1)
        {
            _pcpUnsupported = true;
            Log.Info($"gateway: {HostEndpoint.Format(_gateway)} does not speak PCP (UNSUPP_VERSION{(versionZero ? ", a NAT-PMP answer" : "")}); trying NAT-PMP");
            return null;
        }
        if (answer.Result != 0)
        {
            _counters.AddPcpRefused(answer.Result);
            Log.Warning($"gateway: pcp {(delete ? "delete" : "map")} refused by {HostEndpoint.Format(_gateway)}: {Pcp.ResultName(answer.Result)}");
            return null;
        }
        return new GatewayGrant(GatewayProtocol.Pcp, new IPEndPoint(answer.ExternalAddress16.ToIPAddress(), answer.ExternalPort),
            TimeSpan.FromSeconds(answer.Lifetime), answer.Epoch, Now);
    }

    private GatewayGrant? MapNatPmp(uint lifetime, bool delete = false)
    {
        IPAddress? external = _last?.External.Address;
        Span<byte> request = stackalloc byte[NatPmp.MapRequestLength];
        if (!delete)
        {
            // RFC 6886 section 3.2: the external address comes from its own request.
            int n = NatPmp.WriteExternalAddressRequest(request);
            NatPmpResponse address = default;
            bool answered = Exchange(GatewayProtocol.NatPmp, request.Slice(0, n),
                datagram => NatPmp.TryReadExternalAddressResponse(datagram, out address) == GatewayParseStatus.Ok);
            if (!answered)
            {
                _counters.AddRequest(GatewayProtocol.NatPmp);
                return null;
            }
            if (address.Result != 0)
            {
                _counters.AddRequest(GatewayProtocol.NatPmp);
                _counters.AddNatPmpRefused(address.Result);
                Log.Warning($"gateway: nat-pmp external address refused by {HostEndpoint.Format(_gateway)}: {NatPmp.ResultName(address.Result)}");
                return null;
            }
            Span<byte> bytes = stackalloc byte[4];
            System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(bytes, address.ExternalAddress);
            external = new IPAddress(bytes);
        }
        ushort suggested = delete ? (ushort)0 : (ushort)(_last?.External.Port ?? _internalPort);
        int length = NatPmp.WriteMapRequest(request, _tcp, _internalPort, suggested, lifetime);
        _counters.AddRequest(GatewayProtocol.NatPmp);
        NatPmpResponse answer = default;
        bool got = Exchange(GatewayProtocol.NatPmp, request.Slice(0, length),
            datagram => NatPmp.TryReadMapResponse(datagram, _tcp, _internalPort, out answer) == GatewayParseStatus.Ok);
        if (!got)
        {
            return null;
        }
        if (answer.Result != 0)
        {
            _counters.AddNatPmpRefused(answer.Result);
            Log.Warning($"gateway: nat-pmp {(delete ? "delete" : "map")} refused by {HostEndpoint.Format(_gateway)}: {NatPmp.ResultName(answer.Result)}");
            return null;
        }
        return new GatewayGrant(GatewayProtocol.NatPmp, new IPEndPoint(external ?? IPAddress.Any, answer.ExternalPort),
            TimeSpan.FromSeconds(answer.Lifetime), answer.Epoch, Now);
    }

    private delegate bool Accept(ReadOnlySpan<byte> datagram);

    /// <summary>Sends <paramref name="request"/> and retransmits it until <paramref name="accept"/>
    /// takes a datagram from the gateway's 5351; false when none came (a timeout, counted) or the
    /// gateway refused the port (ICMP port unreachable, counted, <see cref="LastUnreachable"/> set).</summary>
    private bool Exchange(GatewayProtocol protocol, ReadOnlySpan<byte> request, Accept accept)
    {
        TimeSpan wait = InitialRetransmit;
        var readable = new List<Socket>(1);
        var failed = new List<Socket>(1);
        for (int attempt = 0; attempt < Attempts; attempt++, wait *= 2)
        {
            try
            {
                _socket.Send(request, SocketFlags.None);
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionRefused)
            {
                // The refusal of an earlier datagram, reported on this send.
                return Unreachable(protocol);
            }
            catch (SocketException e)
            {
                Log.Info($"gateway: cannot send to {HostEndpoint.Format(_gateway)}: {e.Message}");
                _counters.AddTimeout(protocol);
                return false;
            }
            TimeSpan until = Now + wait;
            while (Now < until)
            {
                // A pending ICMP error wakes poll with POLLERR only, which Poll(SelectRead) does not
                // report: ask for both.
                readable.Clear();
                readable.Add(_socket);
                failed.Clear();
                failed.Add(_socket);
                int micros = (int)Math.Max(1000, (until - Now).TotalMicroseconds);
                Socket.Select(readable, null, failed, micros);
                if (readable.Count == 0 && failed.Count == 0)
                {
                    continue;
                }
                int received;
                try
                {
                    received = _socket.Receive(_buffer, SocketFlags.None);
                }
                catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionRefused)
                {
                    return Unreachable(protocol);
                }
                catch (SocketException e)
                {
                    // Another ICMP error (host or network unreachable on the way): the schedule
                    // goes on, as for a lost datagram.
                    Log.Info($"gateway: {HostEndpoint.Format(_gateway)}: {e.Message}");
                    continue;
                }
                if (accept(_buffer.AsSpan(0, received)))
                {
                    return true;
                }
                _counters.AddIgnored();
            }
        }
        _counters.AddTimeout(protocol);
        return false;
    }

    /// <summary>RFC 6886 section 3.1: an ICMP port unreachable for 5351 ends the retransmissions,
    /// the gateway does not serve the protocol (section 3.8: a router that is no NAT gateway
    /// answers so, "typically ... merely by not having an open socket listening"). Not
    /// remembered: the next full check asks again, in one round trip.</summary>
    private bool Unreachable(GatewayProtocol protocol)
    {
        _counters.AddUnreachable(protocol);
        LastUnreachable = true;
        Log.Info($"gateway: {HostEndpoint.Format(_gateway)} answered ICMP port unreachable: it serves neither PCP nor NAT-PMP");
        return false;
    }

    public void Dispose()
    {
        _socket.Dispose();
    }
}
