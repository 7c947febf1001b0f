using System.Diagnostics;

namespace Postern.Testing;

/// <summary>Runs programs to completion with a time limit, arguments passed as a list (no shell
/// quoting).</summary>
public static class Shell
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(60);

    public static CommandResult Run(string file, IEnumerable<string> arguments, TimeSpan? timeout = null)
    {
        var info = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (string argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }
        string command = file + " " + string.Join(' ', info.ArgumentList);

        using Process process = Process.Start(info) ?? throw new InvalidOperationException($"cannot start {file}");
        process.StandardInput.Close();
        Task<string> output = process.StandardOutput.ReadToEndAsync();
        Task<string> error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout ?? DefaultTimeout))
        {
            try
            {
                process.Kill(entireProcessTree: true);
            }
            catch (InvalidOperationException)
            {
            }
            process.WaitForExit();
            return new CommandResult(command, -1, output.Result, error.Result + $"\n(timed out after {(timeout ?? DefaultTimeout).TotalSeconds} s)");
        }
        process.WaitForExit();
        return new CommandResult(command, process.ExitCode, output.Result, error.Result);
    }

    public static CommandResult Run(string file, params string[] arguments) => Run(file, (IEnumerable<string>)arguments);

    /// <summary>Runs a command line through /bin/sh -c (for pipes); prefer <see cref="Run(string, string[])"/>.</summary>
    public static CommandResult Sh(string script, TimeSpan? timeout = null) => Run("/bin/sh", new[] { "-c", script }, timeout);

    public static string Check(string file, params string[] arguments) => Run(file, arguments).EnsureSuccess().Output;

    public static bool Exists(string program) => Run("/bin/sh", "-c", "command -v " + program).Succeeded;
}
