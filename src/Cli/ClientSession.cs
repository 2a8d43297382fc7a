using LlmQueue.Client;
using LlmQueue.Engine;
using LlmQueue.Worker;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace LlmQueue.Cli;

/// <summary>A started host holding an <see cref="InferenceClient"/>, and the worker when it runs in-process.</summary>
internal sealed class ClientSession : IAsyncDisposable
{
    private readonly IHost _host;

    private ClientSession(IHost host, bool embedded)
    {
        _host = host;
        Client = host.Services.GetRequiredService<InferenceClient>();
        Engine = embedded ? host.Services.GetRequiredService<IGenerationEngine>() : null;
    }

    public InferenceClient Client { get; }

    /// <summary>The in-process worker's engine; null when talking to remote workers.</summary>
    public IGenerationEngine? Engine { get; }

    /// <summary>Hosts the worker in-process (sharing its bus with the client) on the in-memory transport or RabbitMQ.</summary>
    public static Task<ClientSession> StartEmbeddedAsync(BrokerSettings broker, string? modelPath, CancellationToken cancellationToken)
    {
        var builder = WorkerHost.CreateBuilder(WorkerArguments(broker, modelPath));
        builder.Services.AddInferenceClient(options => options.RequestQueue = broker.Queue);
        return StartAsync(builder, embedded: true, cancellationToken);
    }

    /// <summary>A client only, talking to workers elsewhere through RabbitMQ.</summary>
    public static Task<ClientSession> StartRemoteAsync(RabbitMqConnection rabbitMq, string queue, CancellationToken cancellationToken)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddInferenceClientBus(new BrokerOptions { Kind = BrokerKind.RabbitMq, RabbitMq = rabbitMq });
        builder.Services.AddInferenceClient(options => options.RequestQueue = queue);
        return StartAsync(builder, embedded: false, cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        await Client.DisposeAsync();
        await _host.StopAsync();
        _host.Dispose();
    }

    private static async Task<ClientSession> StartAsync(HostApplicationBuilder builder, bool embedded, CancellationToken cancellationToken)
    {
        // The console belongs to the CLI's own output; only problems from the host are worth showing.
        builder.Configuration["Logging:LogLevel:Default"] = nameof(LogLevel.Warning);
        builder.Services.Configure<ConsoleLifetimeOptions>(options => options.SuppressStatusMessages = true);
        var host = builder.Build();
        try
        {
            await host.StartAsync(cancellationToken);
            var session = new ClientSession(host, embedded);
            await session.Client.StartAsync(cancellationToken);
            return session;
        }
        catch
        {
            host.Dispose();
            throw;
        }
    }

    private static string[] WorkerArguments(BrokerSettings broker, string? modelPath)
    {
        var args = new List<string> { $"--Transport:RequestQueue={broker.Queue}" };
        if (broker.RabbitMq is { } rabbit)
        {
            args.Add("--Transport:Kind=RabbitMq");
            args.Add($"--Transport:RabbitMq:Host={rabbit.Host}");
            args.Add($"--Transport:RabbitMq:Port={rabbit.Port}");
            args.Add($"--Transport:RabbitMq:Username={rabbit.Username}");
            args.Add($"--Transport:RabbitMq:Password={rabbit.Password}");
        }
        else
        {
            args.Add("--Transport:Kind=InMemory");
        }

        if (!string.IsNullOrWhiteSpace(modelPath))
        {
            args.Add($"--Engine:ModelPath={modelPath}");
        }

        return [.. args];
    }
}
