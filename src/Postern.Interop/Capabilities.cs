using System.Globalization;

namespace Postern.Interop;

/// <summary>The effective capabilities of this process, read from /proc/self/status (CapEff), so
/// that a missing one is named before anything is touched.</summary>
public static class Capabilities
{
    // linux/capability.h
    public const int CAP_NET_BIND_SERVICE = 10;
    public const int CAP_NET_ADMIN = 12;
    public const int CAP_NET_RAW = 13;

    public static bool Has(int capability)
    {
        ulong effective = Effective();
        return (effective & (1UL << capability)) != 0;
    }

    public static ulong Effective()
    {
        try
        {
            foreach (string line in File.ReadLines("/proc/self/status"))
            {
                if (line.StartsWith("CapEff:", StringComparison.Ordinal) &&
                    ulong.TryParse(line.AsSpan(7).Trim(), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out ulong value))
                {
                    return value;
                }
            }
        }
        catch (IOException)
        {
        }
        return 0;
    }
}
