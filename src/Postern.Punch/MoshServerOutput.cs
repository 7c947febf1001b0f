using System.Globalization;
using System.Text.RegularExpressions;

namespace Postern.Punch;

/// <summary>What mosh-server new prints: "MOSH CONNECT PORT KEY" on stdout, and, after its banner,
/// "[mosh-server detached, pid = N]" on stderr (the detached process that serves the session;
/// the one started exits at once).</summary>
public static partial class MoshServerOutput
{
    /// <summary>The port and session key of the MOSH CONNECT line in <paramref name="stdout"/>.</summary>
    public static bool TryParseConnect(string stdout, out int port, out string key)
    {
        Match match = ConnectLine().Match(stdout);
        port = 0;
        key = "";
        if (!match.Success || !int.TryParse(match.Groups[1].Value, NumberStyles.None, CultureInfo.InvariantCulture, out port) ||
            port is < 1 or > 65535 || !IsSessionKey(match.Groups[2].Value))
        {
            port = 0;
            return false;
        }
        key = match.Groups[2].Value;
        return true;
    }

    /// <summary>The detached server's pid from <paramref name="stderr"/>.</summary>
    public static bool TryParseDetachedPid(string stderr, out int pid)
    {
        Match match = DetachedLine().Match(stderr);
        pid = 0;
        return match.Success && int.TryParse(match.Groups[1].Value, NumberStyles.None, CultureInfo.InvariantCulture, out pid) && pid > 1;
    }

    /// <summary>mosh's session key: 16 random bytes in base64 without the padding, 22 characters.</summary>
    public static bool IsSessionKey(string key) => SessionKey().IsMatch(key);

    [GeneratedRegex(@"^MOSH CONNECT (\d{1,5}) (\S+)\r?$", RegexOptions.Multiline | RegexOptions.CultureInvariant)]
    private static partial Regex ConnectLine();

    [GeneratedRegex(@"^\[mosh-server detached, pid = (\d{1,10})\]\r?$", RegexOptions.Multiline | RegexOptions.CultureInvariant)]
    private static partial Regex DetachedLine();

    [GeneratedRegex(@"^[A-Za-z0-9+/]{22}\z", RegexOptions.CultureInvariant)]
    private static partial Regex SessionKey();
}
