namespace Postern.Netfilter;

public sealed class RuleSetException(string message) : Exception(message);
