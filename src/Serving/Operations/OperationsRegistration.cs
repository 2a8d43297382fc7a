using LlmQueue.Serving.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace LlmQueue.Serving.Operations;

public static class OperationsRegistration
{
    /// <summary>OpenTelemetry service.name of the worker's traces and metrics.</summary>
    public const string ServiceName = "llmq-worker";

    // The engine's and the remote tier's meters, by name: their classes are internal to the engine.
    private static readonly string[] s_meters = [ServingMetrics.MeterName, "LlmQueue.Engine", "LlmQueue.RemoteKv"];

    /// <summary>
    /// Binds and validates the "Operations" section; registers the OpenTelemetry meter provider (the worker's,
    /// engine's and remote tier's meters, read by the Prometheus exporter), the OTLP exporter for traces and metrics
    /// when Operations:OtlpEndpoint is set, and the operations endpoint. Call before the engine's hosted service is
    /// added: the endpoint starts first.
    /// </summary>
    public static IServiceCollection AddWorkerOperations(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var section = configuration.GetSection(OperationsOptions.SectionName);
        services.AddOptions<OperationsOptions>().Bind(section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<OperationsOptions>, OperationsOptionsValidator>();
        services.AddSingleton<ReplicaHealth>();

        // Whether to export is decided here; where to is read from the validated options when the providers are built.
        var exportOtlp = !string.IsNullOrWhiteSpace(section[nameof(OperationsOptions.OtlpEndpoint)]);
        // Every replica reports as one service; service.instance.id (a GUID per process) tells replicas apart.
        var telemetry = services.AddOpenTelemetry().ConfigureResource(resource => resource.AddService(ServiceName, autoGenerateServiceInstanceId: true));
        telemetry.WithMetrics(metrics =>
        {
            metrics.AddMeter(s_meters);
            // Every scrape collects afresh: the exporter's 300 ms response cache would hide a change a probe just made.
            metrics.AddPrometheusExporter(prometheus => prometheus.ScrapeResponseCacheDurationMilliseconds = 0);
            if (exportOtlp)
            {
                metrics.AddOtlpExporter(OtlpSignal.Metrics, _ => { });
            }
        });
        if (exportOtlp)
        {
            telemetry.WithTracing(tracing => tracing.AddSource(RequestActivity.SourceName).AddOtlpExporter(OtlpSignal.Traces, _ => { }));
            foreach (var signal in new[] { OtlpSignal.Metrics, OtlpSignal.Traces })
            {
                services.AddOptions<OtlpExporterOptions>(signal).Configure<IOptions<OperationsOptions>>((otlp, operations) => OtlpSignal.Configure(otlp, operations.Value, signal));
            }
        }

        services.AddHostedService<OperationsEndpoint>();
        return services;
    }
}
