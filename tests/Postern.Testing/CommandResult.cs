namespace Postern.Testing;

public sealed record CommandResult(string Command, int ExitCode, string Output, string Error)
{
    public bool Succeeded => ExitCode == 0;

    public CommandResult EnsureSuccess()
    {
        if (!Succeeded)
        {
            throw new InvalidOperationException($"`{Command}` exited {ExitCode}: {Error.Trim()} {Output.Trim()}");
        }
        return this;
    }

    public override string ToString() => $"`{Command}` -> {ExitCode}\n{Output}{Error}";
}
