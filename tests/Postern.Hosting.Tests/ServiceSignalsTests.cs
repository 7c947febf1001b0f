using System.Runtime.InteropServices;
using Tmds.Linux;

namespace Postern.Hosting.Tests;

/// <summary>Real signals sent to this test process; the registrations cancel their default
/// action, so the process lives on.</summary>
[Collection(nameof(LogCollection))]
public class ServiceSignalsTests
{
    [Fact]
    public void Sigusr1_AsksForAReport_AndDoesNotStop()
    {
        using var signals = new ServiceSignals();
        Assert.Equal(0, LibC.kill(LibC.getpid(), LibC.SIGUSR1));

        Assert.True(signals.ReportRequested.WaitOne(5000));
        Assert.False(signals.StopRequested.WaitOne(0));
    }

    [Theory]
    [InlineData("SIGHUP")]
    [InlineData("SIGQUIT")]
    public void StopSignals_Stop_AndAreNamed(string name)
    {
        int number = name == "SIGHUP" ? LibC.SIGHUP : LibC.SIGQUIT;
        using var signals = new ServiceSignals();
        Assert.Equal(0, LibC.kill(LibC.getpid(), number));

        Assert.True(signals.StopRequested.WaitOne(5000));
        Assert.Equal(name, signals.StopSignal);
    }

    [Fact]
    public void Sigusr1_IsThisArchitecturesNumber()
    {
        Assert.Equal(LibC.SIGUSR1, (int)ServiceSignals.SIGUSR1);
        Assert.Equal("SIGUSR1", ServiceSignals.Name(ServiceSignals.SIGUSR1));
        Assert.Equal(new[] { PosixSignal.SIGTERM, PosixSignal.SIGINT, PosixSignal.SIGHUP, PosixSignal.SIGQUIT }, ServiceSignals.StopSignals);
    }
}
