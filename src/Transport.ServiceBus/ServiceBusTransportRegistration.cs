using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace LlmQueue.Transport.ServiceBus;

public static class ServiceBusTransportRegistration
{
    /// <summary>Binds and validates <paramref name="section"/> (Transport:ServiceBus) and registers the worker's Service Bus transport.</summary>
    public static IServiceCollection AddServiceBusWorkerTransport(
        this IServiceCollection services, IConfigurationSection section, Func<IServiceProvider, WorkerTransportSettings> settings)
    {
        ArgumentNullException.ThrowIfNull(section);
        services.AddOptions<ServiceBusOptions>().Bind(section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<ServiceBusOptions>>(new ServiceBusOptionsValidator(section.Path));
        services.AddSingleton<IWorkerTransport>(provider => new ServiceBusWorkerTransport(
            provider.GetRequiredService<IOptions<ServiceBusOptions>>().Value,
            settings(provider),
            provider.GetRequiredService<ILogger<ServiceBusWorkerTransport>>()));
        return services;
    }

    private sealed class ServiceBusOptionsValidator(string prefix) : IValidateOptions<ServiceBusOptions>
    {
        public ValidateOptionsResult Validate(string? name, ServiceBusOptions options)
        {
            var failures = options.Validate(prefix);
            return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
        }
    }
}
