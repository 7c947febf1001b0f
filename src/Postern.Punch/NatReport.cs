using System.Globalization;
using System.Text;

namespace Postern.Punch;

/// <summary>What `postern-punch nat-type` found (RFC 5780 section 4), and why not where it
/// could not tell.</summary>
public sealed class NatReport
{
    public string? Mapped { get; set; }
    public string? Local { get; set; }
    public bool BehindNat { get; set; }
    public NatBehaviour Mapping { get; set; }
    public string? MappingWhy { get; set; }
    public NatBehaviour Filtering { get; set; }
    public string? FilteringWhy { get; set; }
    public bool? Hairpinning { get; set; }
    public string? HairpinningWhy { get; set; }
    public bool? PortPreserved { get; set; }
    public List<int> MappedPorts { get; } = new();
    public string? AllocationWhy { get; set; }

    /// <summary>"preserved", "sequential, step +N", "random", from the ports of several mappings.</summary>
    public string Allocation()
    {
        if (MappedPorts.Count < 2)
        {
            return "unknown" + (AllocationWhy is null ? "" : " (" + AllocationWhy + ")");
        }
        var steps = new List<int>();
        for (int i = 1; i < MappedPorts.Count; i++)
        {
            steps.Add(MappedPorts[i] - MappedPorts[i - 1]);
        }
        string seen = string.Join(", ", steps.Select(s => s.ToString("+0;-0;0", CultureInfo.InvariantCulture)));
        if (steps.All(s => s == 0))
        {
            return "one port for every destination";
        }
        if (steps.All(s => s == steps[0]) || steps.All(s => Math.Abs(s) <= 8))
        {
            return $"sequential (steps {seen})";
        }
        return $"random (steps {seen})";
    }

    public string Format()
    {
        var text = new StringBuilder();
        text.Append("public address: ").Append(Mapped ?? "unknown").Append(" (local ").Append(Local ?? "?").Append(')').AppendLine();
        text.Append("nat: ").Append(BehindNat ? "yes" : "no (the mapped address is local)").AppendLine();
        text.Append("mapping: ").Append(Mapping.Describe()).Append(MappingWhy is null ? "" : " (" + MappingWhy + ")").AppendLine();
        text.Append("filtering: ").Append(Filtering.Describe()).Append(FilteringWhy is null ? "" : " (" + FilteringWhy + ")").AppendLine();
        text.Append("hairpinning: ").Append(Hairpinning switch { true => "yes", false => "no", _ => "unknown" })
            .Append(HairpinningWhy is null ? "" : " (" + HairpinningWhy + ")").AppendLine();
        text.Append("port preservation: ").Append(PortPreserved switch { true => "yes", false => "no", _ => "unknown" }).AppendLine();
        text.Append("port allocation: ").Append(Allocation()).AppendLine();
        text.Append("hole punching: ").Append(Verdict()).AppendLine();
        return text.ToString();
    }

    /// <summary>What the mapping means for postern-punch connect.</summary>
    public string Verdict() => Mapping switch
    {
        NatBehaviour.EndpointIndependent => "direct with any peer whose NAT is not symmetric; birthday probing with one that is",
        NatBehaviour.AddressDependent or NatBehaviour.AddressAndPortDependent =>
            "symmetric: direct only with an endpoint-independent peer, by birthday probing; with another symmetric peer only through a relay (--relay)",
        _ => "unknown (the mapping could not be determined)",
    };
}
