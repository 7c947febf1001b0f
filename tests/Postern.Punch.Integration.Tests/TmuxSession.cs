using System.Diagnostics;
using System.Globalization;
using Postern.Testing;

namespace Postern.Punch.Integration.Tests;

/// <summary>A terminal program driven the way a person would: a detached tmux session of its own
/// (its own server, on a socket in the test's scratch directory, so that nothing is shared with
/// another tmux), keys typed with send-keys and the screen read with capture-pane. Disposing ends
/// the server and with it every pane.</summary>
internal sealed class TmuxSession : IDisposable
{
    private readonly string _socket;

    private TmuxSession(string socket, string name)
    {
        _socket = socket;
        Name = name;
    }

    public string Name { get; }

    /// <summary>Starts <paramref name="command"/> (a /bin/sh command line) in a 120x40 pane.</summary>
    public static TmuxSession Start(ScratchDirectory scratch, string command)
    {
        string name = string.Create(CultureInfo.InvariantCulture, $"pst-mosh-{Environment.ProcessId}-{Random.Shared.Next(1 << 30)}");
        var session = new TmuxSession(scratch.Combine("tmux.sock"), name);
        try
        {
            session.Tmux("new-session", "-d", "-s", name, "-x", "120", "-y", "40", command).EnsureSuccess();
        }
        catch
        {
            session.Dispose();
            throw;
        }
        return session;
    }

    private CommandResult Tmux(params string[] arguments) => Shell.Run("tmux", new[] { "-S", _socket }.Concat(arguments), TimeSpan.FromSeconds(20));

    /// <summary>Types <paramref name="text"/> literally, then Enter.</summary>
    public void TypeLine(string text)
    {
        Tmux("send-keys", "-t", Name, "-l", text).EnsureSuccess();
        Tmux("send-keys", "-t", Name, "Enter").EnsureSuccess();
    }

    /// <summary>What the pane shows now (empty once the session has gone).</summary>
    public string Screen()
    {
        CommandResult result = Tmux("capture-pane", "-p", "-t", Name);
        return result.Succeeded ? result.Output : "";
    }

    /// <summary>Waits until a line of the screen is exactly <paramref name="line"/> (trailing
    /// blanks aside): output, not the typed command that contains it.</summary>
    public bool WaitForLine(string line, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < timeout)
        {
            if (Screen().Split('\n').Any(l => l.TrimEnd() == line))
            {
                return true;
            }
            Thread.Sleep(200);
        }
        return false;
    }

    public bool IsAlive => Tmux("has-session", "-t", Name).Succeeded;

    public void Dispose()
    {
        Tmux("kill-server");
    }
}
