namespace Postern.Netfilter.Tests;

/// <summary>Test classes that start processes run one at a time: a script written while another
/// thread forks can fail to start with ETXTBSY.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class FakeIptablesCollection
{
    public const string Name = "processes";
}
