namespace Postern.Punch;

/// <summary>mosh-server and mosh-client refuse to run without a UTF-8 character set ("needs a
/// UTF-8 native locale"), and a service or a bare `ip netns exec` often has none. The locale in
/// effect is LC_ALL, else LC_CTYPE, else LANG; when that names no UTF-8 character set, the child
/// gets LC_ALL=C.UTF-8 (built into glibc since 2.35), and a UTF-8 locale the user chose is kept.</summary>
public static class MoshLocale
{
    public const string Fallback = "C.UTF-8";

    /// <summary>The LC_ALL value to give the child, or null when the locale in effect is UTF-8 already.</summary>
    public static string? LcAll(Func<string, string?> environment)
    {
        string? effective = null;
        foreach (string name in new[] { "LC_ALL", "LC_CTYPE", "LANG" })
        {
            if (environment(name) is { Length: > 0 } value)
            {
                effective = value;
                break;
            }
        }
        return effective is not null &&
               (effective.Contains("UTF-8", StringComparison.OrdinalIgnoreCase) || effective.Contains("UTF8", StringComparison.OrdinalIgnoreCase))
            ? null
            : Fallback;
    }

    /// <summary>Sets LC_ALL in <paramref name="environment"/> (a child's) when it needs one.</summary>
    public static void Apply(IDictionary<string, string?> environment)
    {
        if (LcAll(name => environment.TryGetValue(name, out string? value) ? value : null) is { } lcAll)
        {
            environment["LC_ALL"] = lcAll;
        }
    }
}
