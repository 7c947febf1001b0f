namespace Postern.Punch;

/// <summary>How one punch attempt ended: the path chosen (null when none) and the record of the
/// attempt (STYLE.md: every attempt leaves one).</summary>
public sealed record PunchOutcome(ConfirmedPath? Path, TimeSpan Elapsed, long ProbesSent, string Reason,
    IReadOnlyList<ConfirmedPath> Confirmed);
