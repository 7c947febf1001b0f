namespace Postern.Map;

/// <summary>How the NAT maps the kept port (RFC 4787 section 4.1), as far as the reflectors can tell.</summary>
public enum NatMapping
{
    /// <summary>Only one destination answered: nothing to compare.</summary>
    Unknown,

    /// <summary>The same public endpoint towards two destination addresses: anyone the filter lets
    /// in can use it.</summary>
    EndpointIndependent,

    /// <summary>Another public endpoint towards another destination (a symmetric NAT): what one
    /// reflector saw is of no use to anyone else.</summary>
    AddressDependent,
}
