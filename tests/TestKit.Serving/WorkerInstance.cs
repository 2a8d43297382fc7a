using LlmQueue.Engine;
using LlmQueue.Serving.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace LlmQueue.TestKit.Serving;

/// <summary>One worker replica (the real host) on a test bed, with the real engine or a scripted one.</summary>
public sealed class WorkerInstance : IAsyncDisposable
{
    /// <summary>The real engine on the small synthetic model.</summary>
    public static readonly string[] TinyModel = ["--Engine:SyntheticModel=tiny", "--Engine:ModelPath=", "--Engine:KvCacheMiB=16"];

    private readonly IHost _host;
    private bool _stopped;

    private WorkerInstance(IHost host) => _host = host;

    public IGenerationEngine Engine => _host.Services.GetRequiredService<IGenerationEngine>();

    public IServiceProvider Services => _host.Services;

    /// <param name="engine">A scripted engine, or null for the real engine on the tiny synthetic model.</param>
    /// <param name="settings">More "--Key=Value" settings.</param>
    public static Task<WorkerInstance> StartAsync(ITransportTestBed bed, string requestQueue, IGenerationEngine? engine = null, params string[] settings) =>
        StartAsync(bed, requestQueue, engine, configure: null, settings);

    /// <param name="configure">Registrations after the host's own (e.g. a fake TimeProvider).</param>
    public static async Task<WorkerInstance> StartAsync(
        ITransportTestBed bed, string requestQueue, IGenerationEngine? engine, Action<IServiceCollection>? configure, params string[] settings)
    {
        ArgumentNullException.ThrowIfNull(bed);
        string[] args =
        [
            "--Logging:LogLevel:Default=Warning",
            // Many replicas share the test process: none binds the operations port unless a test asks.
            "--Operations:Port=0",
            $"--Transport:RequestQueue={requestQueue}",
            .. bed.WorkerArguments,
            .. TinyModel,
            .. settings,
        ];
        var builder = WorkerHost.CreateBuilder(args);
        bed.ConfigureWorker(builder.Services);
        if (engine is not null)
        {
            builder.Services.AddSingleton(engine);
        }

        configure?.Invoke(builder.Services);

        var host = builder.Build();
        await host.StartAsync();
        return new WorkerInstance(host);
    }

    public async Task StopAsync()
    {
        _stopped = true;
        await _host.StopAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (!_stopped)
        {
            await _host.StopAsync();
        }

        _host.Dispose();
    }
}
