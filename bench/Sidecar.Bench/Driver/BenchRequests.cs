using OpenAI.Chat;
using Sidecar.V1;

namespace Sidecar.Bench.Driver;

/// <summary>The one request every path sends: a system and a user message, two sampling fields.</summary>
internal static class BenchRequests
{
    public const string System = "You are a benchmark. Answer briefly.";

    // Twenty words: the echo provider streams the last message back word by word, so an echo
    // stream has as many content chunks as a bench-upstream stream of 20.
    public const string User = "one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen twenty";

    public const int MaxTokens = 64;
    public const float Temperature = 0.2f;

    public static CompleteRequest Proto(string keyRef, string model) => new()
    {
        KeyRef = keyRef,
        Model = model,
        Messages =
        {
            new Message { Role = Role.System, Content = System },
            new Message { Role = Role.User, Content = User },
        },
        MaxTokens = MaxTokens,
        Temperature = Temperature,
    };

    public static List<ChatMessage> SdkMessages() => [new SystemChatMessage(System), new UserChatMessage(User)];

    public static ChatCompletionOptions SdkOptions() => new() { MaxOutputTokenCount = MaxTokens, Temperature = Temperature };

    /// <summary>Reads the upstream's write time out of a content chunk (<c>t&lt;ticks&gt; </c>).</summary>
    public static bool TryParseStamp(string content, out long ticks)
    {
        ticks = 0;
        return content.Length > 2 && content[0] == 't' && long.TryParse(content.AsSpan(1).TrimEnd(' '), out ticks);
    }
}
