using LlmQueue.Engine;
using LlmQueue.Engine.KvCache.Remote;
using LlmQueue.Serving.Admission;
using LlmQueue.Serving.Options;
using LlmQueue.Serving.Redis;
using LlmQueue.Transport;
using LlmQueue.Transport.InMemory;
using LlmQueue.Transport.RabbitMq;
using LlmQueue.Transport.ServiceBus;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace LlmQueue.Serving.Hosting;

/// <summary>The worker's composition root, shared by the Worker executable, the CLI's embedded worker and the tests.</summary>
public static class WorkerHost
{
    /// <summary>Environment variables with this prefix override settings, e.g. LLMQ_Transport__Kind=RabbitMq.</summary>
    public const string EnvironmentPrefix = "LLMQ_";

    /// <summary>
    /// Everything registered: settings from appsettings.json, LLMQ_* environment variables and the command line
    /// (later wins). The transport kind is read here, so pass it in <paramref name="args"/> or the environment,
    /// e.g. "--Transport:Kind=RabbitMq". Tests may replace IGenerationEngine through the returned Services, and
    /// processes that host a client beside the worker register their <see cref="InMemoryBroker"/> first.
    /// </summary>
    public static HostApplicationBuilder CreateBuilder(string[] args)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            Args = args,
            ContentRootPath = AppContext.BaseDirectory,
        });
        builder.Configuration.AddEnvironmentVariables(EnvironmentPrefix);
        builder.Configuration.AddCommandLine(args);
        // A failed start is reported once, as one line, by the caller (StartupFailure); the host would log it again
        // with a stack trace.
        builder.Logging.AddFilter("Microsoft.Extensions.Hosting.Internal.Host", LogLevel.None);
        var services = builder.Services;

        services.AddOptions<TransportOptions>().Bind(builder.Configuration.GetSection(TransportOptions.SectionName)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<TransportOptions>, TransportOptionsValidator>();
        services.AddOptions<EngineOptions>().Bind(builder.Configuration.GetSection("Engine")).ValidateOnStart();
        services.AddSingleton<IValidateOptions<EngineOptions>, EngineOptionsValidator>();
        services.TryAddSingleton(TimeProvider.System);

        services.AddRedisKvTier(builder.Configuration);
        services.AddSingleton(provider => EngineFactory.Create(
            provider.GetRequiredService<IOptions<EngineOptions>>().Value,
            provider.GetRequiredService<ILoggerFactory>(),
            provider.GetService<RemoteKvTier>()));
        services.AddSingleton<WorkerState>();
        services.AddSingleton<AdmissionGate>();
        services.AddSingleton<HeldRequests>();
        services.AddSingleton<EngineCapacity>();
        services.AddSingleton(provider => new CancelMemory(
            provider.GetRequiredService<TimeProvider>(),
            TimeSpan.FromSeconds(provider.GetRequiredService<IOptions<TransportOptions>>().Value.CancelMemorySeconds)));
        services.AddSingleton<ServingMetrics>();
        services.AddSingleton<RequestServer>();

        var kind = builder.Configuration.GetSection(TransportOptions.SectionName).GetValue<TransportKind>(nameof(TransportOptions.Kind));
        AddTransport(services, builder.Configuration.GetSection(TransportOptions.SectionName), kind);

        // Start order: the engine (model loaded) before the transport takes any message.
        services.AddHostedService<EngineStartup>();
        services.AddHostedService<TransportHost>();
        services.AddHostedService<TransportWatchdog>();
        services.AddOptions<HostOptions>().Configure<IOptions<TransportOptions>>((host, transport) =>
            host.ShutdownTimeout = TimeSpan.FromSeconds(transport.Value.DrainTimeoutSeconds + 30));
        return builder;
    }

    /// <summary>One line per transport: each one's project brings its own options and registration.</summary>
    private static void AddTransport(IServiceCollection services, IConfigurationSection section, TransportKind kind)
    {
        switch (kind)
        {
            case TransportKind.RabbitMq:
                services.AddRabbitMqWorkerTransport(section.GetSection(RabbitMqOptions.SectionName), SettingsOf);
                break;
            case TransportKind.ServiceBus:
                services.AddServiceBusWorkerTransport(section.GetSection(ServiceBusOptions.SectionName), SettingsOf);
                break;
            default:
                services.TryAddSingleton<InMemoryBroker>();
                services.AddSingleton<IWorkerTransport>(provider => new InMemoryWorkerTransport(provider.GetRequiredService<InMemoryBroker>(), SettingsOf(provider)));
                break;
        }
    }

    private static WorkerTransportSettings SettingsOf(IServiceProvider provider)
    {
        var transport = provider.GetRequiredService<IOptions<TransportOptions>>().Value;
        return new WorkerTransportSettings
        {
            RequestQueue = transport.RequestQueue,
            CancelTopic = transport.CancelTopic,
            MaxInFlight = provider.GetRequiredService<IOptions<EngineOptions>>().Value.MaxRunningRequests,
            // One more than the worker's own attempts: the broker's limit only catches messages that kill the process.
            MaxDeliveries = transport.RetryLimit + 2,
        };
    }
}
