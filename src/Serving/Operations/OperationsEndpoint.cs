using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OpenTelemetry.Metrics;

namespace LlmQueue.Serving.Operations;

/// <summary>
/// The operations endpoint: /healthz, /readyz and /metrics (Prometheus text) on a Kestrel server of its own. It
/// starts before the model loads, so liveness answers during a long download, and stops after the drain, so
/// readiness answers "draining" while requests finish.
/// </summary>
internal sealed partial class OperationsEndpoint(
    IServiceProvider services, ReplicaHealth health, IOptions<OperationsOptions> options, ILoggerFactory loggerFactory, ILogger<OperationsEndpoint> logger)
    : IHostedService, IDisposable
{
    private const string MetricsPath = "/metrics";

    private KestrelServer? _server;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var settings = options.Value;
        if (settings.Port == 0)
        {
            LogOff(logger);
            return;
        }

        var kestrel = new KestrelServerOptions { ApplicationServices = services, AddServerHeader = false };
        if (settings.BindAddress == "*")
        {
            kestrel.ListenAnyIP(settings.Port, listen => listen.Protocols = HttpProtocols.Http1);
        }
        else
        {
            kestrel.Listen(IPAddress.Parse(settings.BindAddress), settings.Port, listen => listen.Protocols = HttpProtocols.Http1);
        }

        var sockets = new SocketTransportFactory(Microsoft.Extensions.Options.Options.Create(new SocketTransportOptions()), loggerFactory);
        _server = new KestrelServer(Microsoft.Extensions.Options.Options.Create(kestrel), sockets, loggerFactory);
        try
        {
            await _server.StartAsync(new Application(BuildPipeline(), services), cancellationToken).ConfigureAwait(false);
        }
        catch (IOException ex)
        {
            // Port taken or address not local: the operator has to change Operations:Port or BindAddress.
            throw new OptionsValidationException(OperationsOptions.SectionName, typeof(OperationsOptions),
                [$"Operations:Port {settings.Port} cannot be bound on {settings.BindAddress}: {ex.Message}"]);
        }

        LogListening(logger, settings.BindAddress, settings.Port);
    }

    public Task StopAsync(CancellationToken cancellationToken) => _server?.StopAsync(cancellationToken) ?? Task.CompletedTask;

    public void Dispose() => _server?.Dispose();

    private RequestDelegate BuildPipeline()
    {
        var app = new ApplicationBuilder(services);
        app.UseOpenTelemetryPrometheusScrapingEndpoint(
            services.GetRequiredService<MeterProvider>(), predicate: null, MetricsPath, configureBranchedPipeline: null, optionsName: null);
        app.Run(ServeProbeAsync);
        return app.Build();
    }

    private Task ServeProbeAsync(HttpContext context)
    {
        var result = context.Request.Path.Value switch
        {
            "/healthz" => health.Liveness(),
            "/readyz" => health.Readiness(),
            _ => null,
        };
        if (result is null)
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return Task.CompletedTask;
        }

        context.Response.StatusCode = result.Ok ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable;
        context.Response.ContentType = "text/plain; charset=utf-8";
        context.Response.Headers.CacheControl = "no-store";
        return context.Response.WriteAsync(result.Detail + "\n", context.RequestAborted);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Operations endpoint on {Address} port {Port}: /healthz, /readyz, " + MetricsPath + ".")]
    private static partial void LogListening(ILogger logger, string address, int port);

    [LoggerMessage(Level = LogLevel.Information, Message = "Operations endpoint off (Operations:Port=0).")]
    private static partial void LogOff(ILogger logger);

    /// <summary>Kestrel's view of the pipeline: one plain HttpContext per request.</summary>
    private sealed class Application(RequestDelegate pipeline, IServiceProvider services) : IHttpApplication<HttpContext>
    {
        public HttpContext CreateContext(IFeatureCollection contextFeatures) => new DefaultHttpContext(contextFeatures) { RequestServices = services };

        public Task ProcessRequestAsync(HttpContext context) => pipeline(context);

        public void DisposeContext(HttpContext context, Exception? exception)
        {
        }
    }
}
