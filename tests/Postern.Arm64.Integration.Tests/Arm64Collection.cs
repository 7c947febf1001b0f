namespace Postern.Arm64.Integration.Tests;

/// <summary>Every class here shares one arm64 build, and they run one after another: each runs
/// binaries under an emulator, which is slow enough on a small machine without company.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class Arm64Collection : ICollectionFixture<Arm64Build>
{
    public const string Name = "arm64";
}
