using LlmQueue.Engine;
using LlmQueue.Engine.Cpu;
using LlmQueue.Engine.KvCache.Remote;
using LlmQueue.Worker.Admission;
using LlmQueue.Worker.Messaging;
using LlmQueue.Worker.Options;
using LlmQueue.Worker.Redis;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace LlmQueue.Worker;

/// <summary>The worker's composition root, shared by Program and the tests.</summary>
public static class WorkerHost
{
    /// <summary>Environment variables with this prefix override settings, e.g. LLMQ_Transport__Kind=RabbitMq.</summary>
    public const string EnvironmentPrefix = "LLMQ_";

    /// <summary>
    /// Everything registered: settings from appsettings.json, LLMQ_* environment variables and the command line
    /// (later wins). The transport kind is read here, so pass it in <paramref name="args"/> or the environment,
    /// e.g. "--Transport:Kind=RabbitMq". Tests may replace IGenerationEngine through the returned Services.
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
        var services = builder.Services;

        services.AddOptions<TransportOptions>().Bind(builder.Configuration.GetSection(TransportOptions.SectionName)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<TransportOptions>, TransportOptionsValidator>();
        services.AddOptions<EngineOptions>().Bind(builder.Configuration.GetSection("Engine")).ValidateOnStart();
        services.AddSingleton<IValidateOptions<EngineOptions>, EngineOptionsValidator>();

        services.AddRedisKvTier(builder.Configuration);
        services.AddCpuRunnerBackend();
        services.AddSingleton(provider => EngineFactory.CreateAsync(
            provider.GetRequiredService<IOptions<EngineOptions>>().Value,
            provider.GetServices<IRunnerBackend>(),
            provider.GetRequiredService<ILoggerFactory>(),
            provider.GetService<RemoteKvTier>()).GetAwaiter().GetResult());
        services.AddSingleton<AdmissionGate>();
        services.AddSingleton<HeldRequests>();
        services.AddOptions<HostOptions>().Configure<IOptions<TransportOptions>>((host, transport) =>
            host.ShutdownTimeout = TimeSpan.FromSeconds(transport.Value.DrainTimeoutSeconds + 30));

        var kind = builder.Configuration.GetSection(TransportOptions.SectionName).GetValue<TransportKind>(nameof(TransportOptions.Kind));
        services.AddWorkerBus(kind);
        return builder;
    }
}
