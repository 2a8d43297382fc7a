using LlmQueue.Engine;
using LlmQueue.Engine.Cpu;
using LlmQueue.Engine.KvCache.Remote;
using LlmQueue.Engine.Runners;
using LlmQueue.Gpu;
using LlmQueue.Serving.Admission;
using LlmQueue.Serving.Callbacks;
using LlmQueue.Serving.Operations;
using LlmQueue.Serving.Options;
using LlmQueue.Serving.Redis;
using LlmQueue.Transport;
using LlmQueue.Transport.InMemory;
using LlmQueue.Transport.RabbitMq;
using LlmQueue.Transport.ServiceBus;
using System.Diagnostics.Metrics;
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
        // Kestrel (operations endpoint) logs every aborted probe connection; only its warnings are news.
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        var services = builder.Services;

        services.AddOptions<TransportOptions>().Bind(builder.Configuration.GetSection(TransportOptions.SectionName)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<TransportOptions>, TransportOptionsValidator>();
        services.AddOptions<EngineOptions>().Bind(builder.Configuration.GetSection("Engine")).ValidateOnStart();
        services.AddSingleton<IValidateOptions<EngineOptions>, EngineOptionsValidator>();
        services.TryAddSingleton(TimeProvider.System);

        services.AddRedisKvTier(builder.Configuration);
        // Backends register themselves; Engine:Device picks one when the engine is built.
        services.AddCpuRunnerBackend();
        services.AddCudaRunnerBackend();
        // Built by EngineStartup when the host starts (before any transport takes a message), on the start thread.
        services.AddSingleton(provider => EngineFactory.CreateAsync(
            provider.GetRequiredService<IOptions<EngineOptions>>().Value,
            provider.GetServices<IRunnerBackend>(),
            provider.GetRequiredService<ILoggerFactory>(),
            provider.GetService<RemoteKvTier>()).GetAwaiter().GetResult());
        services.AddSingleton<WorkerState>();
        services.AddSingleton<AdmissionGate>();
        services.AddSingleton<HeldRequests>();
        services.AddSingleton<EngineCapacity>();
        services.AddSingleton(provider => new CancelMemory(
            provider.GetRequiredService<TimeProvider>(),
            TimeSpan.FromSeconds(provider.GetRequiredService<IOptions<TransportOptions>>().Value.CancelMemorySeconds)));
        // Resolved after EngineStartup built the engine: a GPU runner's memory feeds the device gauges.
        services.AddSingleton(provider => new ServingMetrics(
            provider.GetRequiredService<IMeterFactory>(),
            provider.GetRequiredService<IOptions<TransportOptions>>(),
            provider.GetRequiredService<IGenerationEngine>().DeviceMemory));
        AddCallbacks(services, builder.Configuration.GetSection(CallbackOptions.SectionName));
        services.AddSingleton<RequestServer>();

        var kind = ReadTransportKind(builder.Configuration.GetSection(TransportOptions.SectionName));
        AddTransport(services, builder.Configuration.GetSection(TransportOptions.SectionName), kind);

        // Start order: the operations endpoint (live, not ready), the engine (model loaded), then the transport takes
        // messages. The transport host is built at its start, since building it loads the model.
        services.AddWorkerOperations(builder.Configuration);
        services.AddHostedService<EngineStartup>();
        services.AddHostedService<ResolvedAtStart<TransportHost>>();
        services.AddHostedService<TransportWatchdog>();
        services.AddOptions<HostOptions>().Configure<IOptions<TransportOptions>>((host, transport) =>
            host.ShutdownTimeout = TimeSpan.FromSeconds(transport.Value.DrainTimeoutSeconds + OperationsOptions.StopMarginSeconds));
        return builder;
    }

    private static void AddCallbacks(IServiceCollection services, IConfigurationSection section)
    {
        services.AddOptions<CallbackOptions>().Bind(section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<CallbackOptions>, CallbackOptionsValidator>();
        services.AddSingleton<CallbackMetrics>();
        services.AddSingleton(provider =>
        {
            var options = provider.GetRequiredService<IOptions<CallbackOptions>>().Value;
            return new CallbackSender(CallbackHttp.CreateClient(options), options, provider.GetRequiredService<TimeProvider>(), provider.GetRequiredService<CallbackMetrics>());
        });
        services.AddSingleton(provider => new CallbackDispatcher(
            provider.GetRequiredService<CallbackSender>(),
            provider.GetRequiredService<IWorkerTransport>(),
            provider.GetRequiredService<IOptions<CallbackOptions>>().Value,
            provider.GetRequiredService<TimeProvider>(),
            provider.GetRequiredService<CallbackMetrics>(),
            provider.GetRequiredService<ILogger<CallbackDispatcher>>()));
    }

    /// <summary>Transport:Kind, read before the services exist, so a wrong name is answered here with the names allowed.</summary>
    private static TransportKind ReadTransportKind(IConfigurationSection section)
    {
        var value = section[nameof(TransportOptions.Kind)];
        if (string.IsNullOrEmpty(value))
        {
            return TransportKind.InMemory;
        }

        if (Enum.TryParse<TransportKind>(value, ignoreCase: true, out var kind) && Enum.IsDefined(kind) && !char.IsAsciiDigit(value[0]))
        {
            return kind;
        }

        var key = $"{TransportOptions.SectionName}:{nameof(TransportOptions.Kind)}";
        throw new OptionsValidationException(key, typeof(TransportKind),
            [$"{key} must be one of {string.Join(", ", Enum.GetNames<TransportKind>())}, got '{value}'."]);
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
                services.AddSingleton<IWorkerTransport>(provider => new InMemoryWorkerTransport(
                    provider.GetRequiredService<InMemoryBroker>(), SettingsOf(provider), provider.GetRequiredService<TimeProvider>()));
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
            CallbackQueue = provider.GetRequiredService<IOptions<CallbackOptions>>().Value.RetryQueue,
        };
    }
}
