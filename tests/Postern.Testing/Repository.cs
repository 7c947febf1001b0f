namespace Postern.Testing;

/// <summary>Where the repository and its built binaries are, for tests that run the real
/// executables (`make build` puts them in build/bin).</summary>
public static class Repository
{
    public static string Root { get; } = FindRoot();

    public static string Bin => Path.Combine(Root, "build", "bin");

    /// <summary>The path of a built executable; fails with the command that builds it.</summary>
    public static string Binary(string name)
    {
        string path = Path.Combine(Bin, name);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"{path} is not built: run `make build` first", path);
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
