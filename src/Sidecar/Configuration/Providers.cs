namespace Sidecar.Configuration;

/// <summary>The provider names a key reference can have.</summary>
public static class Providers
{
    public const string OpenAI = "openai";
    public const string Echo = "echo";
}
