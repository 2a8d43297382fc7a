using Microsoft.Extensions.DependencyInjection;

namespace LlmQueue.Engine.Cpu;

public static class CpuBackendRegistration
{
    /// <summary>Makes the CPU backend available to the engine factory (Engine:Device cpu, or auto without a GPU).</summary>
    public static IServiceCollection AddCpuRunnerBackend(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddSingleton<IRunnerBackend, CpuBackend>();
        return services;
    }
}
