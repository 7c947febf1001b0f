using Postern.Hosting;

namespace Postern.PunchCli;

/// <summary>Every stop signal of <see cref="ServiceSignals"/> cancels the token, so that a punch
/// or a held path ends cleanly (a held path tells the peer it closed).</summary>
internal sealed class StopOnSignal : IDisposable
{
    private readonly ServiceSignals _signals = new();
    private readonly CancellationTokenSource _cancel = new();
    private readonly RegisteredWaitHandle _wait;

    public StopOnSignal()
    {
        _wait = ThreadPool.RegisterWaitForSingleObject(_signals.StopRequested, (_, _) => _cancel.Cancel(), null, Timeout.Infinite, true);
    }

    public CancellationToken Token => _cancel.Token;

    public void Dispose()
    {
        _wait.Unregister(null);
        _signals.Dispose();
        _cancel.Dispose();
    }
}
