using LlmQueue.Client;
using LlmQueue.Engine;
using LlmQueue.Serving.Hosting;
using LlmQueue.Transport.InMemory;
using LlmQueue.Transport.RabbitMq;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace LlmQueue.Cli;

/// <summary>A started <see cref="InferenceClient"/>, and the worker host when it runs in-process.</summary>
internal sealed class ClientSession : IAsyncDisposable
{
    private readonly IHost? _host;

    private ClientSession(InferenceClient client, IHost? host)
    {
        Client = client;
        _host = host;
        Engine = host?.Services.GetRequiredService<IGenerationEngine>();
    }

    public InferenceClient Client { get; }

    /// <summary>The in-process worker's engine; null when talking to remote workers.</summary>
    public IGenerationEngine? Engine { get; }

    /// <summary>Hosts the worker in-process, on the in-memory broker (shared with the client) or RabbitMQ.</summary>
    public static async Task<ClientSession> StartEmbeddedAsync(BrokerSettings broker, string? modelPath, CancellationToken cancellationToken)
    {
        var builder = WorkerHost.CreateBuilder(WorkerArguments(broker, modelPath));
        var inMemory = new InMemoryBroker();
        builder.Services.AddSingleton(inMemory);
        // The console belongs to the CLI's own output; only problems from the host are worth showing.
        builder.Configuration["Logging:LogLevel:Default"] = nameof(LogLevel.Warning);
        builder.Services.Configure<ConsoleLifetimeOptions>(options => options.SuppressStatusMessages = true);
        var host = builder.Build();
        try
        {
            await host.StartAsync(cancellationToken);
            var brokerOptions = broker.RabbitMq is { } rabbit
                ? new BrokerOptions { Kind = BrokerKind.RabbitMq, RabbitMq = rabbit }
                : new BrokerOptions { Kind = BrokerKind.InMemory, InMemory = inMemory };
            return await StartClientAsync(brokerOptions, broker.Queue, host, cancellationToken);
        }
        catch
        {
            host.Dispose();
            throw;
        }
    }

    /// <summary>A client only, talking to workers elsewhere through RabbitMQ or Service Bus.</summary>
    public static Task<ClientSession> StartRemoteAsync(BrokerOptions broker, string queue, CancellationToken cancellationToken) =>
        StartClientAsync(broker, queue, host: null, cancellationToken);

    public async ValueTask DisposeAsync()
    {
        await Client.DisposeAsync();
        if (_host is not null)
        {
            await _host.StopAsync();
            _host.Dispose();
        }
    }

    private static async Task<ClientSession> StartClientAsync(BrokerOptions broker, string queue, IHost? host, CancellationToken cancellationToken)
    {
        var client = new InferenceClient(broker, new InferenceClientOptions { RequestQueue = queue });
        try
        {
            await client.StartAsync(cancellationToken);
            return new ClientSession(client, host);
        }
        catch
        {
            await client.DisposeAsync();
            throw;
        }
    }

    private static string[] WorkerArguments(BrokerSettings broker, string? modelPath)
    {
        // The embedded worker serves no operations endpoint: the CLI is not a replica an orchestrator probes.
        var args = new List<string> { $"--Transport:RequestQueue={broker.Queue}", "--Operations:Port=0" };
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
