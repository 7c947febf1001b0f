namespace Postern.Hosting;

/// <summary>Why a role could not start, in one sentence for the admin. When it is thrown, nothing
/// of this instance (rule, socket, queue binding) is left behind.</summary>
public sealed class StartupException : Exception
{
    public StartupException(string message)
        : base(message)
    {
    }

    public StartupException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
