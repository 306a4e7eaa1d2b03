using System.ClientModel;
using OpenAI;
using Sidecar.Upstream;

namespace Sidecar.Tests.Upstream;

public sealed class ChatClientCacheTests
{
    private static OpenAIClient NewClient() =>
        new(new ApiKeyCredential("sk-test"), new OpenAIClientOptions { Endpoint = new Uri("http://127.0.0.1:9/v1") });

    [Fact]
    public void For_SameClientAndModel_ReturnsTheSameChatClient()
    {
        var cache = new ChatClientCache();
        var client = NewClient();

        Assert.Same(cache.For(client, "gpt-4o-mini"), cache.For(client, "gpt-4o-mini"));
    }

    [Fact]
    public void For_AnotherModelOrAnotherClient_ReturnsAnotherChatClient()
    {
        var cache = new ChatClientCache();
        var client = NewClient();
        var chat = cache.For(client, "gpt-4o-mini");

        Assert.NotSame(chat, cache.For(client, "gpt-4o"));
        Assert.NotSame(chat, cache.For(NewClient(), "gpt-4o-mini"));
    }

    [Fact]
    public void For_MoreModelsThanTheBound_KeepsTheFirstAndDoesNotKeepTheRest()
    {
        var cache = new ChatClientCache();
        var client = NewClient();
        var kept = Enumerable.Range(0, ChatClientCache.MaxModelsPerClient).Select(i => cache.For(client, $"model-{i}")).ToList();

        var extra = cache.For(client, "one-too-many");

        Assert.NotSame(extra, cache.For(client, "one-too-many"));
        for (var i = 0; i < kept.Count; i++)
        {
            Assert.Same(kept[i], cache.For(client, $"model-{i}"));
        }
    }
}
