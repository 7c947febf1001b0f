using System.Runtime.InteropServices;

namespace Postern.Testing;

/// <summary>Where the repository and its built binaries are, for tests that run the real
/// executables. `make RID=... build` puts everything of one RID under build/RID (native/, bin/,
/// packages/, see the Makefile's OUT); this is the one place tests find it.</summary>
public static class Repository
{
    public const string X64 = "linux-x64";

    public const string Arm64 = "linux-arm64";

    public static string Root { get; } = FindRoot();

    /// <summary>The RID of the machine the tests run on: its binaries are the ones run directly.</summary>
    public static string HostRid { get; } = RuntimeInformation.OSArchitecture == Architecture.Arm64 ? Arm64 : X64;

    /// <summary>The output folder of one RID: build/linux-x64, build/linux-arm64.</summary>
    public static string Output(string rid) => Path.Combine(Root, "build", rid);

    /// <summary>The AOT binaries of this machine's RID.</summary>
    public static string Bin => BinFor(HostRid);

    /// <summary>The AOT binaries of a RID (`make RID=linux-arm64 build` for the arm64 ones).</summary>
    public static string BinFor(string rid) => Path.Combine(Output(rid), "bin");

    /// <summary>The packages of a RID (`make RID=... packages`).</summary>
    public static string PackagesFor(string rid) => Path.Combine(Output(rid), "packages");

    /// <summary>The path of a built executable; fails with the command that builds it.</summary>
    public static string Binary(string name) => BinaryFor(HostRid, name);

    /// <summary>The path of a built executable of a RID; fails with the command that builds it.</summary>
    public static string BinaryFor(string rid, string name)
    {
        string path = Path.Combine(BinFor(rid), name);
        if (!File.Exists(path))
        {
            string make = rid == HostRid ? "make build" : $"make RID={rid} build";
            throw new FileNotFoundException($"{path} is not built: run `{make}` first", path);
        }
        return path;
    }

    private static string FindRoot()
    {
        for (DirectoryInfo? directory = new(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Appliance.sln")))
            {
                return directory.FullName;
            }
        }
        throw new InvalidOperationException("Appliance.sln not found above " + AppContext.BaseDirectory);
    }
}
