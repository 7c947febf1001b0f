using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Postern.Socks;

/// <summary>The RFC 1929 users file: one "user:password" per line (the password may contain ':'),
/// '#' starts a comment line, blank lines are skipped; names and passwords are 1-255 bytes of
/// UTF-8. Checked in constant time per candidate so a wrong password says nothing about how
/// much of it was right.</summary>
public sealed class SocksUsers
{
    private readonly Dictionary<string, byte[]> _passwords;

    private SocksUsers(Dictionary<string, byte[]> passwords)
    {
        _passwords = passwords;
    }

    public int Count => _passwords.Count;

    /// <summary>Reads <paramref name="path"/>; null and one sentence (naming the line) when it is
    /// unreadable or malformed.</summary>
    public static SocksUsers? Load(string path, out string? problem)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            problem = $"--users {path}: {e.Message}";
            return null;
        }
        return Parse(text, path, out problem);
    }

    public static SocksUsers? Parse(string text, string name, out string? problem)
    {
        problem = null;
        var passwords = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        string[] lines = text.Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            string line = lines[i].TrimEnd('\r');
            if (line.Trim().Length == 0 || line.TrimStart().StartsWith('#'))
            {
                continue;
            }
            string where = string.Create(CultureInfo.InvariantCulture, $"--users {name} line {i + 1}");
            int colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0 || colon == line.Length - 1)
            {
                problem = where + ": expected user:password";
                return null;
            }
            string user = line.Substring(0, colon);
            byte[] password = Encoding.UTF8.GetBytes(line.Substring(colon + 1));
            if (Encoding.UTF8.GetByteCount(user) > 255 || password.Length > 255)
            {
                problem = where + ": user names and passwords are at most 255 bytes (RFC 1929)";
                return null;
            }
            if (!passwords.TryAdd(user, password))
            {
                problem = where + $": user '{user}' is listed twice";
                return null;
            }
        }
        if (passwords.Count == 0)
        {
            problem = $"--users {name}: no users in the file";
            return null;
        }
        return new SocksUsers(passwords);
    }

    /// <summary>The user's name when the pair is right, else null.</summary>
    public string? Check(ReadOnlySpan<byte> user, ReadOnlySpan<byte> password)
    {
        string name = Encoding.UTF8.GetString(user);
        if (!_passwords.TryGetValue(name, out byte[]? expected))
        {
            // Compare anyway, so that an unknown name takes as long as a known one.
            CryptographicOperations.FixedTimeEquals(password, password);
            return null;
        }
        return CryptographicOperations.FixedTimeEquals(expected, password) ? name : null;
    }
}
