using LlmQueue.Engine;
using LlmQueue.Worker.Options;
using MassTransit;
using MassTransit.Middleware;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace LlmQueue.Worker.Messaging;

/// <summary>MassTransit registration: transport choice, request endpoint, per-replica cancel endpoint.</summary>
internal static class BusSetup
{
    public static IServiceCollection AddWorkerBus(this IServiceCollection services, TransportKind kind)
    {
        services.AddMassTransit(bus =>
        {
            bus.AddConsumer<GenerateRequestConsumer>();
            bus.AddConsumer<CancelGenerationConsumer>();
            if (kind == TransportKind.RabbitMq)
            {
                bus.UsingRabbitMq((context, cfg) =>
                {
                    var rabbit = context.GetRequiredService<IOptions<TransportOptions>>().Value.RabbitMq;
                    cfg.Host(rabbit.Host, (ushort)rabbit.Port, rabbit.VirtualHost, host =>
                    {
                        host.Username(rabbit.Username);
                        host.Password(rabbit.Password);
                    });
                    ConfigureEndpoints(context, cfg);
                });
            }
            else
            {
                bus.UsingInMemory(ConfigureEndpoints);
            }
        });

        services.AddOptions<MassTransitHostOptions>().Configure<IOptions<TransportOptions>>((host, transport) =>
        {
            // MassTransit cancels in-flight consumers' tokens after ConsumerStopTimeout: that is the drain.
            var drain = TimeSpan.FromSeconds(transport.Value.DrainTimeoutSeconds);
            host.WaitUntilStarted = true;
            host.ConsumerStopTimeout = drain;
            host.StopTimeout = drain + TimeSpan.FromSeconds(15);
        });
        return services;
    }

    private static void ConfigureEndpoints(IBusRegistrationContext context, IBusFactoryConfigurator cfg)
    {
        var transport = context.GetRequiredService<IOptions<TransportOptions>>().Value;
        var engine = context.GetRequiredService<IOptions<EngineOptions>>().Value;
        var logger = context.GetRequiredService<ILoggerFactory>().CreateLogger<FailureReplyFilter>();

        // Producers without MassTransit send plain JSON (content type application/json or none).
        cfg.AddRawJsonSerializer(RawSerializerOptions.AnyMessageType);
        cfg.UseRawJsonDeserializer(RawSerializerOptions.AnyMessageType, isDefault: true);

        cfg.ReceiveEndpoint(transport.RequestQueue, endpoint =>
        {
            // Never hold more unsettled messages than the engine can run; the admission gate trims to free slots.
            endpoint.PrefetchCount = engine.MaxRunningRequests;
            endpoint.ConcurrentMessageLimit = engine.MaxRunningRequests;
            endpoint.ConfigureError(error =>
            {
                error.UseFilter(new FailureReplyFilter(logger));
                error.UseFilter(new ErrorTransportFilter());
            });
            endpoint.UseMessageRetry(retry =>
            {
                retry.Immediate(transport.RetryLimit);
                retry.Ignore<System.Runtime.Serialization.SerializationException>();
                retry.Ignore<System.Text.Json.JsonException>();
                retry.Ignore<OperationCanceledException>();
            });
            endpoint.ConfigureConsumer<GenerateRequestConsumer>(context);
        });

        // Unique, non-durable, auto-delete queue per replica, bound to the CancelGeneration exchange (fan-out).
        cfg.ReceiveEndpoint(new TemporaryEndpointDefinition("llmq-cancel"), endpoint => endpoint.ConfigureConsumer<CancelGenerationConsumer>(context));
    }
}
