using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace LlmQueue.Transport.RabbitMq;

public static class RabbitMqTransportRegistration
{
    /// <summary>Binds and validates <paramref name="section"/> (Transport:RabbitMq) and registers the worker's RabbitMQ transport.</summary>
    public static IServiceCollection AddRabbitMqWorkerTransport(
        this IServiceCollection services, IConfigurationSection section, Func<IServiceProvider, WorkerTransportSettings> settings)
    {
        ArgumentNullException.ThrowIfNull(section);
        services.AddOptions<RabbitMqOptions>().Bind(section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<RabbitMqOptions>>(new RabbitMqOptionsValidator(section.Path));
        services.AddSingleton<IWorkerTransport>(provider => new RabbitMqWorkerTransport(
            provider.GetRequiredService<IOptions<RabbitMqOptions>>().Value,
            settings(provider),
            provider.GetRequiredService<ILogger<RabbitMqWorkerTransport>>()));
        return services;
    }

    private sealed class RabbitMqOptionsValidator(string prefix) : IValidateOptions<RabbitMqOptions>
    {
        public ValidateOptionsResult Validate(string? name, RabbitMqOptions options)
        {
            var failures = options.Validate(prefix);
            return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
        }
    }
}
