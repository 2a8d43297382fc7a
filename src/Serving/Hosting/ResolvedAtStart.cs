using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace LlmQueue.Serving.Hosting;

/// <summary>
/// Runs <typeparamref name="TService"/>, built when the host starts it rather than when the host collects its hosted
/// services. The host builds them all before starting any; a service whose dependencies load the model (the
/// transport host needs the engine) would otherwise load it before the operations endpoint is up to answer /healthz.
/// </summary>
internal sealed class ResolvedAtStart<TService>(IServiceProvider services) : IHostedService
    where TService : IHostedService
{
    private TService? _service;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _service = ActivatorUtilities.CreateInstance<TService>(services);
        return _service.StartAsync(cancellationToken);
    }

    public Task StopAsync(CancellationToken cancellationToken) => _service?.StopAsync(cancellationToken) ?? Task.CompletedTask;
}
