namespace Postern.Reflector.Tests;

internal static class Hex
{
    /// <summary>Bytes from hex as RFCs and captures print them, spaces and line breaks allowed.</summary>
    public static byte[] Parse(string text) =>
        Convert.FromHexString(string.Concat(text.Where(c => !char.IsWhiteSpace(c))));
}
