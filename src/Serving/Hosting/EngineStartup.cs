using LlmQueue.Engine;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace LlmQueue.Serving.Hosting;

/// <summary>
/// Builds the engine when the host starts (model source resolved, weights loaded), before any transport takes a
/// message: the first request does not pay for the load, and a broken model stops the worker at start.
/// </summary>
internal sealed class EngineStartup(IServiceProvider services, WorkerState state) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        services.GetRequiredService<IGenerationEngine>();
        state.MarkEngineRunning();
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
