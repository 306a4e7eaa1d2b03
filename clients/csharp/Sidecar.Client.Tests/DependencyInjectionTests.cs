using Microsoft.Extensions.AI;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Sidecar.Client.Tests;

public sealed class DependencyInjectionTests
{
    private static IConfiguration Configuration(params (string Key, string Value)[] pairs) =>
        new ConfigurationBuilder().AddInMemoryCollection(pairs.Select(p => KeyValuePair.Create(p.Key, (string?)p.Value))).Build();

    [Fact]
    public void AddSidecarChatClient_FromConfiguration_BindsTheOptionsAndBuildsThePipeline()
    {
        var configuration = Configuration(
            ("Sidecar:SocketPath", "/tmp/di-test.sock"),
            ("Sidecar:KeyRef", "team-a"),
            ("Sidecar:Model", "gpt-x"),
            ("Sidecar:DefaultDeadline", "00:00:30"),
            ("Sidecar:ThrowOperationCanceledOnCancellation", "false"));
        var services = new ServiceCollection();
        services.AddSidecarChatClient(configuration.GetSection("Sidecar"), o => o.Model = "gpt-y").UseFunctionInvocation();
        using var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });

        var options = provider.GetRequiredService<IOptions<SidecarClientOptions>>().Value;
        var chat = provider.GetRequiredService<IChatClient>();
        var client = provider.GetRequiredService<SidecarClient>();

        Assert.Equal(TimeSpan.FromSeconds(30), options.DefaultDeadline);
        Assert.False(options.ThrowOperationCanceledOnCancellation);
        Assert.Equal("/tmp/di-test.sock", client.Channel.SocketPath);
        Assert.Equal("team-a", client.KeyRef);
        Assert.Equal("gpt-y", client.Model); // the action runs after the binding
        Assert.NotNull(chat.GetService<FunctionInvokingChatClient>());
        Assert.Same(client, chat.GetService<SidecarClient>());
        Assert.Same(client, provider.GetRequiredService<SidecarClient>());
    }

    [Fact]
    public void AddSidecarClient_Action_ConfiguresTheClient()
    {
        var services = new ServiceCollection();
        services.AddSidecarClient(o =>
        {
            o.SocketPath = "/tmp/di-action.sock";
            o.KeyRef = "team-b";
        });
        using var provider = services.BuildServiceProvider();

        var client = provider.GetRequiredService<SidecarClient>();

        Assert.Equal("/tmp/di-action.sock", client.Channel.SocketPath);
        Assert.Equal("team-b", client.KeyRef);
        Assert.Null(client.Model);
    }

    [Fact]
    public void AddSidecarClient_InvalidOptions_StartupValidationListsEveryProblem()
    {
        var services = new ServiceCollection();
        services.AddSidecarClient(Configuration(("KeyRef", " "), ("DefaultDeadline", "-00:00:01")));
        using var provider = services.BuildServiceProvider();

        var ex = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IStartupValidator>().Validate());

        Assert.Contains(ex.Failures, f => f.Contains("KeyRef"));
        Assert.Contains(ex.Failures, f => f.Contains("DefaultDeadline"));
    }

    [Fact]
    public void AddSidecarClient_Disposed_ClosesTheChannelItCreated()
    {
        var services = new ServiceCollection();
        services.AddSidecarClient(o => o.SocketPath = "/tmp/di-dispose.sock");
        var provider = services.BuildServiceProvider();
        var client = provider.GetRequiredService<SidecarClient>();

        provider.Dispose();

        Assert.Throws<ObjectDisposedException>(() => client.Channel.Completions.CompleteAsync(new V1.CompleteRequest()));
    }
}
