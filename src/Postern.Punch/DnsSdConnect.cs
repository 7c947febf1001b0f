using System.Net;
using Postern.Hosting;

namespace Postern.Punch;

/// <summary>connect --resolve: look the peer's endpoint up in DNS-SD and hand it to WireGuard
/// (`wg set IFACE peer KEY endpoint IP:PORT persistent-keepalive 25`); exits with wg's status.</summary>
public static class DnsSdConnect
{
    public static int Run(ResolveOptions options, TextWriter output)
    {
        string? wg = WireGuardHandoff.FindWg();
        if (wg is null)
        {
            Log.Error("--wireguard: wg is not on PATH (install wireguard-tools)");
            return ExitCodes.Startup;
        }
        IPEndPoint endpoint;
        try
        {
            byte[] key = Wire.WireGuardRegister.ParseKey(options.PeerKey)!;
            endpoint = new DnsSdResolver(options.DnsServer).Resolve(options.Zone, key);
        }
        catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException)
        {
            Log.Error($"--resolve {options.Zone}: {e.Message}");
            return ExitCodes.Startup;
        }
        output.WriteLine($"resolved {options.PeerKey} endpoint={Endpoints.Format(endpoint)}");
        output.Flush();
        IReadOnlyList<string> arguments = options.Arguments(endpoint);
        Log.Info($"wireguard: {wg} {string.Join(' ', arguments)}");
        int status = WireGuardHandoff.Run(wg, arguments);
        if (status != 0)
        {
            Log.Error($"wireguard: wg exited with status {status}");
        }
        return status;
    }
}
