namespace Postern.Packaging.Integration.Tests;

/// <summary>Every class here shares one package build, and they run one after another: the
/// install tests change the machine's package database and must not overlap.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class PackagingCollection : ICollectionFixture<PackageBuild>
{
    public const string Name = "packages";
}
