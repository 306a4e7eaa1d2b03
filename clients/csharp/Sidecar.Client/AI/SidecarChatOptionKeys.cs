namespace Sidecar.Client.AI;

/// <summary>
/// Keys of <c>ChatOptions.AdditionalProperties</c> that <see cref="SidecarChatClient"/> reads: the
/// request fields that Microsoft.Extensions.AI has no property for. Other keys are ignored (the bag
/// is shared by every client in a pipeline).
/// </summary>
public static class SidecarChatOptionKeys
{
    /// <summary>A <see cref="string"/>: the key reference of this request, in place of the client's default.</summary>
    public const string KeyRef = "key_ref";

    /// <summary>A <see cref="string"/>: a stable identifier of the end user, passed to the upstream.</summary>
    public const string User = "user";

    /// <summary>An <c>IEnumerable&lt;KeyValuePair&lt;string, string&gt;&gt;</c> (e.g. a dictionary): metadata passed to the upstream.</summary>
    public const string Metadata = "metadata";

    /// <summary>A <see cref="bool"/>: with a JSON schema response format, ask the upstream to follow it exactly.</summary>
    public const string JsonSchemaStrict = "json_schema_strict";
}
