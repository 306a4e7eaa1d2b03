using Grpc.Reflection;
using Grpc.Reflection.V1Alpha;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Configuration.EnvironmentVariables;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Sidecar.Api;
using Sidecar.Clients;
using Sidecar.Configuration;
using Sidecar.Diagnostics;
using Sidecar.Health;
using Sidecar.Keys;
using Sidecar.OpenAIHttp;
using Sidecar.Resilience;
using Sidecar.ResponseCache;
using Sidecar.Routing;
using Sidecar.Shared;
using Sidecar.Upstream;
using Sidecar.V1;

namespace Sidecar.Hosting;

/// <summary>Builds the daemon: configuration, services, listeners and the request pipeline.</summary>
internal static class SidecarApp
{
    public const string SocketEnvironmentVariable = "SIDECAR_SOCKET";

    /// <param name="args">Command-line arguments; <c>--Section:Key=value</c> overrides any other source.</param>
    /// <param name="configure">Lets tests swap services (a fake clock, a log sink) before the app is built.</param>
    public static WebApplication Create(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            Args = args,
            ContentRootPath = AppContext.BaseDirectory,
        });

        AddConfigurationSources(builder.Configuration);
        var options = LiveOptions.Read(builder.Configuration, new SidecarOptionsValidator());

        // One JSON object per line by default (log shippers parse it); "simple" for people at a terminal.
        var formatter = builder.Configuration["Logging:Console:FormatterName"] ?? "json";
        builder.Logging.AddConsole(o => o.FormatterName = formatter);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = options.ShutdownGrace + TimeSpan.FromSeconds(10));
        AddSidecarServices(builder.Services, options);
        builder.Services.AddSidecarTelemetry(builder.Configuration);
        var portLimits = new PortLimits(options.PortMaxConnections, options.PortMaxRequests);
        ConfigureListeners(builder.WebHost, options, portLimits);

        // The gRPC socket first: a start refused because another daemon serves it names that socket.
        var staleRemoved = SocketFile.Prepare(options.Socket, options.AllowWritableSocketFolder);
        if (options.OpenAI.SocketPath(options.Socket) is { } openAISocket)
        {
            staleRemoved |= SocketFile.Prepare(openAISocket, options.AllowWritableSocketFolder);
        }

        if (staleRemoved)
        {
            // Logged once the logger exists; the flag travels in the options.
            builder.Services.AddSingleton(new StartupNotes(StaleSocketRemoved: true));
        }

        configure?.Invoke(builder);
        var app = builder.Build();
        ConfigurePipeline(app, portLimits);
        ReportStart(app, options);
        return app;
    }

    /// <param name="options">The settings read at start (<see cref="LiveOptions.Read"/>); <see cref="LiveOptions"/> rereads them on change.</param>
    internal static void AddSidecarServices(IServiceCollection services, SidecarOptions options)
    {
        // Read and validated once, as a whole. Not the options framework's binding and validators:
        // an invalid reload would make every read of IOptionsMonitor throw, where LiveOptions keeps
        // the previous settings.
        services.AddSingleton(Options.Create(options));
        services.AddSingleton<SidecarOptionsValidator>();
        services.AddSingleton<LiveOptions>();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(new StartupNotes(StaleSocketRemoved: false));
        services.AddMetrics();
        services.AddSingleton<SidecarMetrics>();
        services.AddSingleton<KeyResolver>();
        services.AddSidecarClients();
        services.AddSidecarUpstream();
        services.AddSidecarResilience();
        services.AddSidecarShared();
        services.AddSidecarResponseCache();
        services.AddSidecarRouting();
        services.AddSidecarApi();
        services.AddSidecarOpenAIHttp();
        services.AddSingleton<ReadinessState>();
        // Order matters: the socket gets its mode before the coordinator marks the daemon ready.
        services.AddHostedService<SocketFileLifecycle>();
        services.AddHostedService<ShutdownCoordinator>();

        services.AddGrpc(o =>
        {
            // Twice our own limit: requests between the two get a precise INVALID_ARGUMENT from the
            // validator; larger ones are refused by gRPC before they are read (RESOURCE_EXHAUSTED).
            o.MaxReceiveMessageSize = options.Limits.MaxRequestBytes * 2;
            o.EnableDetailedErrors = false;
        });
        // The services reflection describes, named here: Grpc.AspNetCore.Server.Reflection finds them
        // by System.Reflection over the endpoints, which trimming breaks (IL2104), and would list a
        // service added later without anyone deciding that callers may discover it.
        services.AddSingleton(new ReflectionServiceImpl(Completions.Descriptor, Grpc.Health.V1.Health.Descriptor, ServerReflection.Descriptor));
        services.AddGrpcHealthChecks(o =>
            {
                foreach (var name in HealthNames.LiveServices)
                {
                    o.Services.Map(name, r => r.Tags.Contains(HealthNames.LiveTag));
                }

                foreach (var name in HealthNames.ReadyServices)
                {
                    o.Services.Map(name, r => r.Tags.Contains(HealthNames.ReadyTag));
                }
            })
            .AddCheck<LivenessCheck>("process", tags: [HealthNames.LiveTag])
            .AddCheck<ReadinessCheck>("ready", tags: [HealthNames.ReadyTag]);
        services.Configure<Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckPublisherOptions>(o =>
        {
            // Watch subscribers hear about readiness changes (such as shutdown) within a second.
            o.Delay = TimeSpan.Zero;
            o.Period = TimeSpan.FromSeconds(1);
        });
    }

    private static void AddConfigurationSources(ConfigurationManager configuration)
    {
        try
        {
            AddConfigurationSourcesUnchecked(configuration);
        }
        catch (InvalidDataException ex)
        {
            throw new InvalidConfigurationException([ex.Message]);
        }
    }

    private static void AddConfigurationSourcesUnchecked(ConfigurationManager configuration)
    {
        // JSON files reload without ever losing settings: a file that is gone or does not parse on reload
        // is a refused change (the stock provider emptied its settings instead).
        for (var i = 0; i < configuration.Sources.Count; i++)
        {
            if (configuration.Sources[i] is Microsoft.Extensions.Configuration.Json.JsonConfigurationSource stock &&
                JsonFileConfigurationSource.Replacing(stock) is { } guarded)
            {
                configuration.Sources[i] = guarded;
            }
        }

        // Order, weakest first: appsettings.json, --config FILE, SIDECAR_SOCKET, Sidecar__* variables,
        // command-line arguments. The builder already holds the first and the last two.
        var at = configuration.Sources.ToList().FindIndex(s => s is EnvironmentVariablesConfigurationSource);
        if (at < 0)
        {
            at = configuration.Sources.Count;
        }

        var extra = new List<IConfigurationSource>();
        if (configuration["config"] is { Length: > 0 } file)
        {
            var path = Path.GetFullPath(file);
            if (!File.Exists(path))
            {
                throw new InvalidConfigurationException([$"--config {file}: no such file."]);
            }

            extra.Add(new JsonFileConfigurationSource(path, optional: false, reloadOnChange: true));
        }

        if (Environment.GetEnvironmentVariable(SocketEnvironmentVariable) is { Length: > 0 } socket)
        {
            extra.Add(new Microsoft.Extensions.Configuration.Memory.MemoryConfigurationSource
            {
                InitialData = [new($"{SidecarOptions.SectionName}:Socket", socket)],
            });
        }

        for (var i = 0; i < extra.Count; i++)
        {
            configuration.Sources.Insert(at + i, extra[i]);
        }
    }

    private static void ConfigureListeners(ConfigureWebHostBuilder webHost, SidecarOptions options, PortLimits limits)
    {
        webHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.ListenUnixSocket(options.Socket, listen => Serve(listen, ListenerKind.Socket, HttpProtocols.Http2, limits));

            var address = System.Net.IPAddress.Parse(options.HealthAddress);
            if (options.HealthPort != 0)
            {
                kestrel.Listen(address, options.HealthPort, listen => Serve(listen, ListenerKind.Health, HttpProtocols.Http2, limits));
            }

            if (options.HttpPort != 0)
            {
                kestrel.Listen(address, options.HttpPort, listen => Serve(listen, ListenerKind.Http, HttpProtocols.Http1, limits));
            }

            if (options.OpenAI.SocketPath(options.Socket) is { } openAISocket)
            {
                kestrel.ListenUnixSocket(openAISocket, listen => Serve(listen, ListenerKind.OpenAISocket, HttpProtocols.Http1, limits));
            }

            if (options.OpenAI.Port != 0)
            {
                // Loopback only: nothing but the pod's own processes may reach a door without peer credentials.
                kestrel.Listen(System.Net.IPAddress.Loopback, options.OpenAI.Port, listen => Serve(listen, ListenerKind.OpenAIPort, HttpProtocols.Http1, limits));
            }
        });
    }

    /// <summary>Tags each accepted connection with its listener (and, on the socket, its peer's uid/gid).</summary>
    private static void Serve(ListenOptions listen, ListenerKind kind, HttpProtocols protocols, PortLimits limits)
    {
        listen.Protocols = protocols;
        listen.Use(next => connection =>
        {
            Listeners.Tag(connection, kind);
            if (kind is ListenerKind.Socket or ListenerKind.OpenAISocket)
            {
                PeerCredentials.Attach(connection);
            }

            return PortLimits.Applies(kind) ? ServeCapped(next, connection, kind, limits) : next(connection);
        });
    }

    /// <summary>A TCP port's connection over its cap is closed before a byte is read.</summary>
    private static async Task ServeCapped(Microsoft.AspNetCore.Connections.ConnectionDelegate next, Microsoft.AspNetCore.Connections.ConnectionContext connection, ListenerKind kind, PortLimits limits)
    {
        if (!limits.TryEnterConnection(kind))
        {
            connection.Abort(new Microsoft.AspNetCore.Connections.ConnectionAbortedException("Over Sidecar:PortMaxConnections."));
            return;
        }

        try
        {
            await next(connection);
        }
        finally
        {
            limits.ExitConnection(kind);
        }
    }

    private static void ConfigurePipeline(WebApplication app, PortLimits limits)
    {
        app.Use(async (context, next) =>
        {
            var kind = Listeners.Of(context);
            if (!PortLimits.Applies(kind))
            {
                await next(context);
                return;
            }

            // A request (a health Watch stream included) over the port's cap: 503, which gRPC clients read as UNAVAILABLE.
            if (!limits.TryEnterRequest(kind))
            {
                context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
                return;
            }

            try
            {
                await next(context);
            }
            finally
            {
                limits.ExitRequest(kind);
            }
        });

        app.Use(static (context, next) =>
        {
            if (!Listeners.Allows(Listeners.Of(context), context.Request.Path))
            {
                context.Response.StatusCode = StatusCodes.Status404NotFound;
                return Task.CompletedTask;
            }

            return next(context);
        });

        app.MapGrpcService<CompletionsService>();
        app.MapOpenAIHttp();
        app.MapGrpcHealthChecksService();
        app.MapGrpcService<ReflectionServiceImpl>();
        app.MapPrometheusScrapingEndpoint(TelemetrySetup.ScrapePath);
        app.MapHealthChecks("/healthz", new HealthCheckOptions { Predicate = r => r.Tags.Contains(HealthNames.LiveTag) });
        app.MapHealthChecks("/readyz", new HealthCheckOptions { Predicate = r => r.Tags.Contains(HealthNames.ReadyTag) });
    }

    private static void ReportStart(WebApplication app, SidecarOptions options)
    {
        var lifetime = app.Services.GetRequiredService<IHostApplicationLifetime>();
        lifetime.ApplicationStarted.Register(() =>
        {
            var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Sidecar");
            if (app.Services.GetRequiredService<StartupNotes>().StaleSocketRemoved)
            {
                Log.StaleSocketRemoved(logger, options.Socket);
            }

            foreach (var (name, key) in options.Keys)
            {
                if (SecretSpec.IsLiteral(key.ApiKey ?? string.Empty))
                {
                    Log.LiteralKey(logger, name);
                }
            }

            Log.Listening(logger, options.Socket, options.SocketMode, options.HealthPort, options.HttpPort, options.Keys.Count, options.KeysDirectory ?? "(none)");
        });
    }
}
