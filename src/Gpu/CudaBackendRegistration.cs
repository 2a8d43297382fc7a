using LlmQueue.Engine;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace LlmQueue.Gpu;

public static class CudaBackendRegistration
{
    /// <summary>
    /// Makes the CUDA backend available to the engine factory (Engine:Device cuda, or auto where a GPU is found),
    /// with its settings from section Engine:Cuda, checked at start.
    /// </summary>
    public static IServiceCollection AddCudaRunnerBackend(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddOptions<CudaOptions>().BindConfiguration(CudaOptions.SectionName).ValidateOnStart();
        services.AddSingleton<IValidateOptions<CudaOptions>, CudaOptionsValidator>();
        services.AddSingleton<IRunnerBackend>(provider => new CudaBackend(provider.GetRequiredService<IOptions<CudaOptions>>().Value));
        return services;
    }

    private sealed class CudaOptionsValidator : IValidateOptions<CudaOptions>
    {
        public ValidateOptionsResult Validate(string? name, CudaOptions options) =>
            options.Validate() is { Count: > 0 } failures ? ValidateOptionsResult.Fail(failures) : ValidateOptionsResult.Success;
    }
}
