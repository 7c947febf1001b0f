namespace Postern.Aaaa;

/// <summary>Why the service could not start, in one sentence for the admin. When it is thrown,
/// no rule of this instance is left installed.</summary>
public sealed class StartupException(string message) : Exception(message);
