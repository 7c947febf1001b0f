using Postern.Wire;

namespace Postern.Map;

/// <summary>Reads one message that should answer a Binding request of ours.</summary>
internal static class StunAnswers
{
    /// <summary>The mapped and other addresses of a well-formed success answer to
    /// <paramref name="transactionId"/>; null (and counted) for anything else. A request, an
    /// indication or another transaction's answer is ignored without counting.</summary>
    public static (StunAddress Mapped, StunAddress Other)? Read(ReadOnlySpan<byte> message, ReadOnlySpan<byte> transactionId, MapCounters counters)
    {
        StunParseStatus status = StunResponse.TryParse(message, out StunResponse response);
        if (status != StunParseStatus.NotRequest)
        {
            if (status != StunParseStatus.Request)
            {
                counters.AddMalformed();
            }
            return null;
        }
        if (response.IsIndication || !response.Answers(transactionId))
        {
            return null;
        }
        if (response.IsError)
        {
            counters.AddErrorResponse();
            return null;
        }
        if (!response.IsSuccess || response.Method != StunMessageType.MethodBinding || response.MappedAddress.IsEmpty)
        {
            counters.AddMalformed();
            return null;
        }
        return (response.MappedAddress, response.OtherAddress);
    }
}
