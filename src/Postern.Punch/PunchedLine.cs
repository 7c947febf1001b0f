using System.Globalization;
using System.Net;

namespace Postern.Punch;

/// <summary>The one line a successful punch prints (the format, which scripts parse).</summary>
public static class PunchedLine
{
    public static string Format(IPEndPoint local, IPEndPoint publicEndPoint, ConfirmedPath path, long attempts) =>
        string.Create(CultureInfo.InvariantCulture,
            $"punched local={Endpoints.Format(local)} public={Endpoints.Format(publicEndPoint)} peer={Endpoints.Format(path.Peer)} " +
            $"path={PathName(path.Kind)} rtt={path.RoundTrip.TotalMilliseconds:0.0} attempts={attempts}");

    /// <summary>lan, direct or relay: a birthday path is a direct one (found by birthday probing).</summary>
    public static string PathName(CandidateKind kind) => kind switch
    {
        CandidateKind.Lan => "lan",
        CandidateKind.Relay => "relay",
        _ => "direct",
    };
}
