namespace Postern.Hosting;

/// <summary>A role with more to say on SIGUSR1 (and at exit) than counters: each line is logged
/// after the stats line.</summary>
public interface IDetailedReport
{
    IEnumerable<string> ReportLines();
}
