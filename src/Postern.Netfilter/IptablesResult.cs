namespace Postern.Netfilter;

public readonly record struct IptablesResult(int ExitCode, string Output, string Error)
{
    public bool Succeeded => ExitCode == 0;
}
