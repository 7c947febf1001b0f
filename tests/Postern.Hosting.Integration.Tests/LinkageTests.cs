using System.Text.RegularExpressions;
using Postern.Testing;

namespace Postern.Hosting.Integration.Tests;

/// <summary>What each binary needs from the target host, read from its ELF NEEDED entries (the
/// README promises it, and the packages' dependencies follow from it).</summary>
public class LinkageTests
{
    private static string[] Needed(string binary)
    {
        string dynamic = Shell.Check("readelf", "-d", Repository.Binary(binary));
        return Regex.Matches(dynamic, @"\(NEEDED\)\s+Shared library: \[([^\]]+)\]").Select(m => m.Groups[1].Value).Order().ToArray();
    }

    private static bool IsGlibc(string library) => Regex.IsMatch(library, @"^(libc\.so\.6|libm\.so\.6|ld-linux-[a-z0-9-]+\.so\.\d)$");

    [Fact]
    public void Reflector_NeedsOnlyGlibc()
    {
        string[] needed = Needed("postern-reflector");
        Assert.Contains("libc.so.6", needed);
        Assert.All(needed, library => Assert.True(IsGlibc(library), $"postern-reflector needs {library}: {string.Join(", ", needed)}"));
    }

    [Fact]
    public void Aaaa_NeedsGlibc_LibnetfilterQueue_AndLibmnl()
    {
        string[] needed = Needed("postern-aaaa");
        Assert.Contains("libnetfilter_queue.so.1", needed);
        Assert.Contains("libmnl.so.0", needed);
        Assert.All(needed.Where(l => l is not ("libnetfilter_queue.so.1" or "libmnl.so.0")),
            library => Assert.True(IsGlibc(library), $"postern-aaaa needs {library}: {string.Join(", ", needed)}"));
    }
}
