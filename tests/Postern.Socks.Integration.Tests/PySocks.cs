using System.Text.RegularExpressions;
using Postern.Testing;

namespace Postern.Socks.Integration.Tests;

/// <summary>pysocks_udp.py, Debian's PySocks (python3-socks) driving a UDP association.</summary>
internal static class PySocks
{
    public static string Script { get; } = Path.Combine(AppContext.BaseDirectory, "pysocks_udp.py");

    public static BackgroundProcess Start(Netns host, params string[] arguments)
    {
        if (!Directory.Exists("/usr/lib/python3/dist-packages/socks") && !File.Exists("/usr/lib/python3/dist-packages/socks.py"))
        {
            throw new FileNotFoundException("python3-socks (PySocks) is missing: `make deps` installs it");
        }
        return host.Start(UdpPeer.Python, new[] { Script }.Concat(arguments));
    }

    public static int Echoes(string output)
    {
        Match match = Regex.Match(output, @"^echoes (\d+)$", RegexOptions.Multiline);
        Assert.True(match.Success, "the client did not finish:\n" + output);
        return int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
    }
}
