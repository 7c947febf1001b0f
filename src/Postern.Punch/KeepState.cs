using System.Globalization;
using System.Text.RegularExpressions;

namespace Postern.Punch;

/// <summary>keep --state FILE: the next round's number, so that a restarted keep pairs under the
/// token its peer will use (both sides count the rounds the reflector paired; one side starting
/// again from round 1 would wait for a peer that never comes). One line,
/// <c>postern-punch keep v1 token=HEX epoch=N</c>: the code's rendezvous token (what the reflector
/// sees anyway, never the code) tells a state file of another code, which counts as none.</summary>
public sealed partial class KeepState
{
    public KeepState(string path)
    {
        Path = path;
    }

    public string Path { get; }

    /// <summary>The state line for <paramref name="code"/> at <paramref name="epoch"/>.</summary>
    public static string Format(string code, int epoch) =>
        string.Create(CultureInfo.InvariantCulture, $"postern-punch keep v1 token={Convert.ToHexStringLower(PairingCode.Token(code))} epoch={epoch}\n");

    /// <summary>The epoch a state line records for <paramref name="code"/>; null when the line is
    /// not one, or is another code's.</summary>
    public static int? Parse(string text, string code)
    {
        Match m = StateLine().Match(text);
        return m.Success && m.Groups[1].Value == Convert.ToHexStringLower(PairingCode.Token(code)) &&
               int.TryParse(m.Groups[2].Value, NumberStyles.None, CultureInfo.InvariantCulture, out int epoch)
            ? epoch
            : null;
    }

    /// <summary>The recorded epoch for <paramref name="code"/>, 0 when the file is not there or is
    /// another code's (<paramref name="note"/> says which); an IOException when it cannot be read.</summary>
    public int Read(string code, out string note)
    {
        if (!File.Exists(Path))
        {
            note = $"no {Path} yet: starting at round 1";
            return 0;
        }
        if (Parse(File.ReadAllText(Path), code) is { } epoch)
        {
            note = $"{Path}: resuming at round {epoch + 1}";
            return epoch;
        }
        note = $"{Path} is not a keep state of this code: starting at round 1";
        return 0;
    }

    /// <summary>Records <paramref name="epoch"/>: a whole new file renamed over the old one, so
    /// that a crash leaves the old line or the new one, never half of one.</summary>
    public void Write(string code, int epoch)
    {
        string temporary = Path + ".tmp";
        File.WriteAllText(temporary, Format(code, epoch));
        File.Move(temporary, Path, overwrite: true);
    }

    [GeneratedRegex(@"^postern-punch keep v1 token=([0-9a-f]{32}) epoch=(\d{1,9})\n?$")]
    private static partial Regex StateLine();
}
