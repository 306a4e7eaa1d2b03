using Microsoft.Extensions.AI;
using Sidecar.V1;

namespace Sidecar.Client.AI;

/// <summary>Reads what <see cref="SidecarChatClient"/> adds to Microsoft.Extensions.AI answers.</summary>
public static class SidecarChatResponseExtensions
{
    /// <summary>
    /// Who answered (<see cref="SidecarChatResponseKeys.ServedBy"/>): from the response's
    /// <see cref="ChatResponse.AdditionalProperties"/> (a unary answer), else from its last message
    /// that carries one (where <c>ToChatResponse()</c> merges a stream's last update, and, in a tool
    /// loop, the last round's answer); <see langword="null"/> when none does.
    /// </summary>
    public static ServedBy? GetServedBy(this ChatResponse response)
    {
        ArgumentNullException.ThrowIfNull(response);
        if (response.AdditionalProperties?.TryGetValue<ServedBy>(SidecarChatResponseKeys.ServedBy, out var servedBy) == true)
        {
            return servedBy;
        }
        for (var i = response.Messages.Count - 1; i >= 0; i--)
        {
            if (response.Messages[i].AdditionalProperties?.TryGetValue(SidecarChatResponseKeys.ServedBy, out servedBy) == true)
            {
                return servedBy;
            }
        }
        return null;
    }
}
