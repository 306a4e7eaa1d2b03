namespace Sidecar.Client.AI;

/// <summary>
/// Keys of <c>ChatResponse.AdditionalProperties</c> and <c>ChatResponseUpdate.AdditionalProperties</c>
/// that <see cref="SidecarChatClient"/> sets: what the daemon says about an answer that
/// Microsoft.Extensions.AI has no property for.
/// </summary>
public static class SidecarChatResponseKeys
{
    /// <summary>
    /// A <see cref="Sidecar.V1.ServedBy"/>: who answered (the key reference, the model sent upstream,
    /// the targets tried, whether the answer came from the cache). Set on a unary response and on its
    /// message, and on the last update of a stream (which <c>ToChatResponse()</c> merges into the
    /// answer's message). <see cref="SidecarChatResponseExtensions.GetServedBy"/> finds it in either place.
    /// </summary>
    public const string ServedBy = "served_by";
}
