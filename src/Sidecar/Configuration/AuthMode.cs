namespace Sidecar.Configuration;

/// <summary>How a target's key is sent (see <see cref="AuthModes"/>).</summary>
public enum AuthMode
{
    /// <summary><c>Authorization: Bearer &lt;key&gt;</c>, as OpenAI expects.</summary>
    Bearer,

    /// <summary><c>api-key: &lt;key&gt;</c>, as Azure OpenAI expects.</summary>
    ApiKey,

    /// <summary>No key at all (a local server such as Ollama or vLLM).</summary>
    None,
}
