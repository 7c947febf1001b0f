using Postern.Testing;

namespace Postern.Arm64.Integration.Tests;

/// <summary>What the arm64 build and its tests need on this x64 machine, all of it installed by
/// `make deps`, and how a cross-built binary is run here.</summary>
public static class Arm64Tools
{
    /// <summary>Where the aarch64 libc of libc6-dev-arm64-cross lives.</summary>
    public const string CrossRoot = "/usr/aarch64-linux-gnu";

    private static readonly string[] Programs =
    {
        "qemu-aarch64-static", "aarch64-linux-gnu-gcc", "aarch64-linux-gnu-ld", "clang-14", "aarch64-linux-gnu-pkg-config",
        "dpkg-deb", "rpm", "rpmbuild", "lintian", "help2man",
    };

    /// <summary>Why the arm64 tests cannot run here, or null when they can (always null in CI,
    /// so that a missing tool fails the test there).</summary>
    public static string? WhyNot()
    {
        if (Privileges.IsCi)
        {
            return null;
        }
        string[] missing = Programs.Where(program => !Shell.Exists(program)).ToArray();
        if (missing.Length > 0)
        {
            return $"arm64 test needs {string.Join(", ", missing)}; `make deps` (as root) installs them";
        }
        if (!File.Exists("/usr/lib/aarch64-linux-gnu/libnetfilter_queue.so"))
        {
            return "arm64 test needs libnetfilter-queue-dev:arm64; `make deps` (as root) installs it";
        }
        return null;
    }

    /// <summary>The emulator's command line for a binary: qemu-user with the cross libc as its
    /// root. LD_LIBRARY_PATH puts the cross libc.so.6 first: with -L alone, ld.so comes from the
    /// cross package and libc.so.6 from the multiarch libc6:arm64 (another build of glibc), and
    /// the AOT binaries spin at start-up.</summary>
    public static string[] Emulated(string binary, IEnumerable<string> arguments) =>
        new[] { "-L", CrossRoot, "-E", "LD_LIBRARY_PATH=" + CrossRoot + "/lib", binary }.Concat(arguments).ToArray();

    public const string Emulator = "qemu-aarch64-static";

    /// <summary>Runs a cross-built binary to completion under qemu-user.</summary>
    public static CommandResult Run(string binary, params string[] arguments) =>
        Shell.Run(Emulator, Emulated(binary, arguments), TimeSpan.FromMinutes(2));

    /// <summary>Starts a cross-built binary in the background under qemu-user; signals sent to
    /// it reach the emulated program.</summary>
    public static BackgroundProcess Start(string binary, params string[] arguments) =>
        new(Emulator, Emulated(binary, arguments));
}
