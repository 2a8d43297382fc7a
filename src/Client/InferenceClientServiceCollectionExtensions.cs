using MassTransit;
using Microsoft.Extensions.DependencyInjection;

namespace LlmQueue.Client;

public static class InferenceClientServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="InferenceClient"/> as a singleton over the container's MassTransit bus. The bus is
    /// registered elsewhere: by the worker host when both run in one process (required for the in-memory
    /// transport), or by <see cref="AddInferenceClientBus"/> in a client-only process.
    /// </summary>
    public static IServiceCollection AddInferenceClient(
        this IServiceCollection services, Action<InferenceClientOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var options = new InferenceClientOptions();
        configure?.Invoke(options);
        services.AddSingleton(sp => new InferenceClient(sp.GetRequiredService<IBus>(), options));
        return services;
    }

    /// <summary>Registers a MassTransit bus on <paramref name="broker"/> for a process that hosts no worker.</summary>
    public static IServiceCollection AddInferenceClientBus(this IServiceCollection services, BrokerOptions broker)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(broker);
        services.AddMassTransit(bus => bus.UsingBroker(broker));
        return services;
    }

    /// <summary>Selects the transport named by <paramref name="broker"/>; usable inside any AddMassTransit call.</summary>
    public static void UsingBroker(this IBusRegistrationConfigurator bus, BrokerOptions broker)
    {
        ArgumentNullException.ThrowIfNull(bus);
        ArgumentNullException.ThrowIfNull(broker);
        switch (broker.Kind)
        {
            case BrokerKind.InMemory:
                bus.UsingInMemory((context, cfg) => cfg.ConfigureEndpoints(context));
                break;
            case BrokerKind.RabbitMq:
                var rabbit = broker.RabbitMq;
                bus.UsingRabbitMq((context, cfg) =>
                {
                    cfg.Host(rabbit.Host, rabbit.Port, rabbit.VirtualHost, host =>
                    {
                        host.Username(rabbit.Username);
                        host.Password(rabbit.Password);
                    });
                    cfg.ConfigureEndpoints(context);
                });
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(broker), broker.Kind, "Transport:Kind must be InMemory or RabbitMq.");
        }
    }
}
