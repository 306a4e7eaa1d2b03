using Microsoft.Extensions.AI;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Sidecar.Client;
using Sidecar.Client.AI;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the Sidecar client (and its <see cref="IChatClient"/>) in a service collection.</summary>
public static class SidecarServiceCollectionExtensions
{
    /// <summary>
    /// Registers a singleton <see cref="SidecarClient"/> built from <see cref="SidecarClientOptions"/>
    /// (configured by <paramref name="configure"/>), validated when the host starts.
    /// </summary>
    public static IServiceCollection AddSidecarClient(this IServiceCollection services, Action<SidecarClientOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var options = services.AddOptions<SidecarClientOptions>();
        if (configure is not null)
        {
            options.Configure(configure);
        }
        options.ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<SidecarClientOptions>, SidecarClientOptionsValidator>());
        services.TryAddSingleton(sp => SidecarClient.Create(sp.GetRequiredService<IOptions<SidecarClientOptions>>().Value));
        return services;
    }

    /// <summary>
    /// Registers a singleton <see cref="SidecarClient"/> whose options are bound from
    /// <paramref name="configuration"/> (e.g. <c>builder.Configuration.GetSection("Sidecar")</c>:
    /// <c>SocketPath</c>, <c>KeyRef</c>, <c>Model</c>, <c>DefaultDeadline</c>, …), then <paramref name="configure"/>.
    /// </summary>
    public static IServiceCollection AddSidecarClient(this IServiceCollection services, IConfiguration configuration, Action<SidecarClientOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<SidecarClientOptions>().Bind(configuration);
        return services.AddSidecarClient(configure);
    }

    /// <summary>
    /// Registers the <see cref="SidecarClient"/> (as <see cref="AddSidecarClient(IServiceCollection, Action{SidecarClientOptions}?)"/>)
    /// and an <see cref="IChatClient"/> over it; returns the builder of its pipeline, e.g. for
    /// <c>.UseFunctionInvocation()</c>.
    /// </summary>
    public static ChatClientBuilder AddSidecarChatClient(this IServiceCollection services, Action<SidecarClientOptions>? configure = null) =>
        services.AddSidecarClient(configure).AddChatClient(sp => new SidecarChatClient(sp.GetRequiredService<SidecarClient>()));

    /// <summary>
    /// Registers the <see cref="SidecarClient"/> with options bound from <paramref name="configuration"/>
    /// and an <see cref="IChatClient"/> over it; returns the builder of its pipeline.
    /// </summary>
    public static ChatClientBuilder AddSidecarChatClient(this IServiceCollection services, IConfiguration configuration, Action<SidecarClientOptions>? configure = null) =>
        services.AddSidecarClient(configuration, configure).AddChatClient(sp => new SidecarChatClient(sp.GetRequiredService<SidecarClient>()));
}
