namespace Postern.Wire;

public enum StunParseStatus
{
    /// <summary>Not framed as STUN at all: for a reflector, a legacy text request.</summary>
    NotStun,

    /// <summary>A well-formed request (any method).</summary>
    Request,

    /// <summary>A well-formed indication or response: never answered, so that two reflectors
    /// cannot be set talking to each other.</summary>
    NotRequest,

    /// <summary>Framed as STUN but broken: discarded without an answer.</summary>
    Malformed,
}
