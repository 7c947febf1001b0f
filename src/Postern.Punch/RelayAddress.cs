using System.Globalization;
using System.Text;

namespace Postern.Punch;

/// <summary>--relay socks5://[USER:PASSWORD@]HOST:PORT, read strictly.</summary>
public sealed record RelayAddress(string Host, int Port, string? User, string? Password)
{
    public static RelayAddress? Parse(string text, out string? problem)
    {
        const string scheme = "socks5://";
        problem = null;
        if (!text.StartsWith(scheme, StringComparison.OrdinalIgnoreCase))
        {
            problem = $"--relay: '{text}' is not a socks5://HOST:PORT address";
            return null;
        }
        string rest = text.Substring(scheme.Length).TrimEnd('/');
        string? user = null;
        string? password = null;
        int at = rest.LastIndexOf('@');
        if (at >= 0)
        {
            string credentials = rest.Substring(0, at);
            rest = rest.Substring(at + 1);
            int colon = credentials.IndexOf(':', StringComparison.Ordinal);
            user = Uri.UnescapeDataString(colon < 0 ? credentials : credentials.Substring(0, colon));
            password = colon < 0 ? "" : Uri.UnescapeDataString(credentials.Substring(colon + 1));
            if (user.Length is 0 or > 255 || Encoding.UTF8.GetByteCount(password) is 0 or > 255)
            {
                problem = "--relay: the user name and password must each be 1 to 255 bytes (RFC 1929)";
                return null;
            }
        }
        if (!ServerAddress.TrySplit(rest, 1080, out string host, out int port, out string? why))
        {
            problem = "--relay: " + why;
            return null;
        }
        return new RelayAddress(host, port, user, password);
    }

    public override string ToString() => "socks5://" + ServerChoice.Canonical(Host, Port);
}
