namespace Postern.Netfilter;

/// <summary>What one <see cref="RuleSet.Repair"/> found: of <paramref name="Total"/> rules,
/// <paramref name="Missing"/> were absent and <paramref name="Reinstalled"/> of those went back;
/// <paramref name="Error"/> is the first check or insertion that failed, if any.</summary>
public readonly record struct RuleRepair(int Total, int Missing, int Reinstalled, string? Error)
{
    /// <summary>The one log line for a repair that found something: null when all was in place.</summary>
    public string? Describe() => (Missing, Error) switch
    {
        (0, null) => null,
        (0, _) => $"cannot check the rules: {Error}",
        _ when Reinstalled == Missing => $"rules changed by someone else: {Missing} of {Total} missing; reinstalled",
        _ => $"rules changed by someone else: {Missing} of {Total} missing; {Reinstalled} reinstalled, the rest failed: {Error}",
    };
}
