using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Postern.Hosting;

namespace Postern.Map;

/// <summary>A UPnP Internet Gateway Device's port mapping (IGD:2 WANIPConnection:2, IGD:1
/// WANIPConnection:1 or WANPPPConnection:1): found by SSDP M-SEARCH from the address towards the
/// gateway, its description fetched from LOCATION, then SOAP AddPortMapping for the bound port,
/// renewed by adding it again, DeletePortMapping on stop. Every wait is bounded (the search
/// <see cref="SearchWait"/> per try, <see cref="SearchTries"/> tries; each HTTP exchange
/// <see cref="HttpTimeout"/>) and every size too; what the network sends that does not parse is
/// logged and counted, never thrown.</summary>
public sealed class UpnpClient
{
    public static readonly TimeSpan SearchWait = TimeSpan.FromSeconds(Ssdp.Mx + 0.5);
    public const int SearchTries = 2;
    public static readonly TimeSpan HttpTimeout = TimeSpan.FromSeconds(3);
    public const string Description = "postern-map";

    private readonly IPAddress _local;
    private readonly bool _tcp;
    private readonly ushort _port;
    private readonly GatewayCounters _counters;
    private readonly IPEndPoint _searchTo;
    private IgdDescription? _igd;
    private bool _permanentOnly;

    /// <param name="local">This host's address towards the gateway: the search goes out of its
    /// interface, and it is the mapping's internal client.</param>
    /// <param name="searchTo">Where M-SEARCH goes: the SSDP group, or a unicast address in tests.</param>
    public UpnpClient(IPAddress local, MapProtocol protocol, ushort port, GatewayCounters counters, IPEndPoint? searchTo = null)
    {
        _local = local;
        _tcp = protocol == MapProtocol.Tcp;
        _port = port;
        _counters = counters;
        _searchTo = searchTo ?? new IPEndPoint(IPAddress.Parse(Ssdp.MulticastAddress), Ssdp.Port);
    }

    /// <summary>The control URL in use, null before a discovery found one.</summary>
    public Uri? ControlUrl => _igd?.ControlUrl;

    /// <summary>Where answers come from, for log lines: the control URL's host and port.</summary>
    public string Server => _igd is { } igd ? $"{igd.ControlUrl.Host}:{igd.ControlUrl.Port}" : "no IGD";

    /// <summary>The control URL's address and port when its host is an address (IGDs name
    /// themselves by address), else null.</summary>
    public IPEndPoint? ServerEndpoint =>
        _igd is { } igd && IPAddress.TryParse(igd.ControlUrl.Host, out IPAddress? address) ? new IPEndPoint(address, igd.ControlUrl.Port) : null;

    /// <summary>Set when the IGD took only a permanent lease (error 725): renewals re-add it.</summary>
    public bool PermanentOnly => _permanentOnly;

    /// <summary>AddPortMapping of the bound port to itself for <paramref name="lease"/> seconds;
    /// the external address, or null (refused, silent, malformed: logged and counted).
    /// <paramref name="granted"/> is the lease the IGD holds (0: permanent).</summary>
    public IPAddress? Map(uint lease, out uint granted)
    {
        granted = 0;
        if (_igd is null && !Discover())
        {
            return null;
        }
        UpnpSoapResult address = Call("GetExternalIPAddress", Array.Empty<(string, string)>());
        if (!address.Ok)
        {
            Refusal("GetExternalIPAddress", address);
            return null;
        }
        if (!address.Values!.TryGetValue("NewExternalIPAddress", out string? text) || !IPAddress.TryParse(text, out IPAddress? external) ||
            external.AddressFamily != AddressFamily.InterNetwork)
        {
            _counters.AddUpnpError();
            Log.Warning($"gateway: upnp GetExternalIPAddress of {Server} answered no IPv4 address ('{text}')");
            return null;
        }
        uint asked = _permanentOnly ? 0 : lease;
        _counters.AddRequest(GatewayProtocol.Upnp);
        UpnpSoapResult added = Call("AddPortMapping", AddArguments(asked));
        if (added.Refused && added.ErrorCode == UpnpSoap.OnlyPermanentLeasesSupported && asked != 0)
        {
            _counters.AddUpnpRefused(added.ErrorCode);
            Log.Info($"gateway: upnp {Server} takes only permanent leases (725 OnlyPermanentLeasesSupported); mapping with lease 0 and adding it again every {lease / 2} s");
            _permanentOnly = true;
            asked = 0;
            _counters.AddRequest(GatewayProtocol.Upnp);
            added = Call("AddPortMapping", AddArguments(asked));
        }
        if (!added.Ok)
        {
            Refusal("AddPortMapping", added);
            return null;
        }
        granted = asked;
        return external;
    }

    /// <summary>DeletePortMapping of the bound port; true when the IGD confirmed.</summary>
    public bool Delete()
    {
        if (_igd is null)
        {
            return false;
        }
        UpnpSoapResult deleted = Call("DeletePortMapping", new[]
        {
            ("NewRemoteHost", ""),
            ("NewExternalPort", _port.ToString(CultureInfo.InvariantCulture)),
            ("NewProtocol", _tcp ? "TCP" : "UDP"),
        });
        if (!deleted.Ok)
        {
            Refusal("DeletePortMapping", deleted);
            return false;
        }
        return true;
    }

    private (string, string)[] AddArguments(uint lease) => new[]
    {
        ("NewRemoteHost", ""),
        ("NewExternalPort", _port.ToString(CultureInfo.InvariantCulture)),
        ("NewProtocol", _tcp ? "TCP" : "UDP"),
        ("NewInternalPort", _port.ToString(CultureInfo.InvariantCulture)),
        ("NewInternalClient", _local.ToString()),
        ("NewEnabled", "1"),
        ("NewPortMappingDescription", Description),
        ("NewLeaseDuration", lease.ToString(CultureInfo.InvariantCulture)),
    };

    private void Refusal(string action, UpnpSoapResult result)
    {
        if (result.Refused)
        {
            _counters.AddUpnpRefused(result.ErrorCode);
            string why = result.ErrorCode == UpnpSoap.ConflictInMappingEntry
                ? $": external {(_tcp ? "tcp" : "udp")} port {_port} is mapped to another host already"
                : "";
            Log.Warning($"gateway: upnp {action} refused by {Server}: {result.ErrorCode} {UpnpSoap.ErrorName(result.ErrorCode)}" +
                        (string.IsNullOrEmpty(result.ErrorDescription) ? "" : $" ({result.ErrorDescription})") + why);
            return;
        }
        _counters.AddUpnpError();
        Log.Warning($"gateway: upnp {action} at {ControlUrl}: {result.Problem}; searching again next time");
        // The IGD may have moved (restarted on another port): the next attempt searches anew.
        _igd = null;
    }

    /// <summary>M-SEARCH for IGD:2 and IGD:1, <see cref="SearchTries"/> tries of
    /// <see cref="SearchWait"/>; the first answer whose description names a WAN connection
    /// service is kept.</summary>
    private bool Discover()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            socket.Bind(new IPEndPoint(_local, 0));
            // From the interface of the address towards the gateway, not the default route's.
            socket.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.MulticastInterface, _local.GetAddressBytes());
            socket.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.MulticastTimeToLive, 2);
        }
        catch (SocketException e)
        {
            _counters.AddUpnpError();
            Log.Warning($"gateway: upnp search from {_local}: {e.Message}");
            return false;
        }
        var buffer = new byte[Ssdp.MaxResponseLength + 1];
        var tried = new HashSet<Uri>();
        for (int attempt = 0; attempt < SearchTries; attempt++)
        {
            _counters.AddUpnpSearch();
            try
            {
                foreach (string target in Ssdp.SearchTargets)
                {
                    socket.SendTo(Ssdp.SearchRequest(target), _searchTo);
                }
            }
            catch (SocketException e)
            {
                _counters.AddUpnpError();
                Log.Warning($"gateway: upnp search to {HostEndpoint.Format(_searchTo)}: {e.Message}");
                return false;
            }
            var clock = Stopwatch.StartNew();
            while (clock.Elapsed < SearchWait)
            {
                int micros = (int)Math.Max(1000, (SearchWait - clock.Elapsed).TotalMicroseconds);
                if (!socket.Poll(micros, SelectMode.SelectRead))
                {
                    continue;
                }
                int received;
                EndPoint from = new IPEndPoint(IPAddress.Any, 0);
                try
                {
                    received = socket.ReceiveFrom(buffer, ref from);
                }
                catch (SocketException)
                {
                    continue;
                }
                if (!Ssdp.TryReadResponse(buffer.AsSpan(0, received), out Uri? location, out string? target))
                {
                    _counters.AddUpnpIgnored();
                    continue;
                }
                if (!tried.Add(location!))
                {
                    continue;
                }
                Log.Info($"gateway: upnp {target} at {location} (answered from {HostEndpoint.Format((IPEndPoint)from)})");
                if (FetchDescription(location!) is { } igd)
                {
                    _igd = igd;
                    _counters.AddUpnpDiscovery();
                    Log.Info($"gateway: upnp {igd.ServiceType} control {igd.ControlUrl}");
                    return true;
                }
            }
        }
        Log.Info($"gateway: upnp: no Internet Gateway Device answered M-SEARCH from {_local} within {SearchTries} x {SearchWait.TotalSeconds} s");
        return false;
    }

    private IgdDescription? FetchDescription(Uri location)
    {
        (int status, string? body, string? problem) = UpnpHttp.Exchange(_local, location, "GET", Array.Empty<(string, string)>(), null,
            IgdDescription.MaxLength, HttpTimeout);
        if (body is null || status != 200)
        {
            _counters.AddUpnpError();
            Log.Warning($"gateway: upnp description {location}: {problem ?? $"HTTP {status}"}");
            return null;
        }
        IgdDescription? igd = IgdDescription.Parse(body, location, out string? why);
        if (igd is null)
        {
            _counters.AddUpnpError();
            Log.Warning($"gateway: upnp description {location}: {why}");
        }
        return igd;
    }

    private UpnpSoapResult Call(string action, IReadOnlyList<(string, string)> arguments)
    {
        IgdDescription igd = _igd!;
        (int status, string? body, string? problem) = UpnpHttp.Exchange(_local, igd.ControlUrl, "POST", new[]
        {
            ("Content-Type", "text/xml; charset=\"utf-8\""),
            ("SOAPAction", UpnpSoap.SoapAction(igd.ServiceType, action)),
        }, UpnpSoap.Request(igd.ServiceType, action, arguments), UpnpSoap.MaxResponseLength, HttpTimeout);
        if (body is null)
        {
            return new UpnpSoapResult(null, 0, null, problem);
        }
        return UpnpSoap.ReadResponse(status, body, action);
    }
}
