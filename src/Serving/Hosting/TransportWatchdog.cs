using LlmQueue.Serving.Options;
using LlmQueue.Transport;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace LlmQueue.Serving.Hosting;

/// <summary>
/// A replica whose transport is faulted (not receiving, and not recovering by itself) is useless but alive: after
/// Transport:FaultedExitSeconds it stops the host with exit code <see cref="ExitCodes.TransportFaulted"/>, so the
/// orchestrator restarts it.
/// </summary>
internal sealed partial class TransportWatchdog(
    IWorkerTransport transport, IHostApplicationLifetime lifetime, IOptions<TransportOptions> options, TimeProvider time,
    ILogger<TransportWatchdog> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var limit = TimeSpan.FromSeconds(options.Value.FaultedExitSeconds);
        if (limit <= TimeSpan.Zero)
        {
            return;
        }

        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(Math.Clamp(limit.TotalMilliseconds / 4, 50, 1000)), time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                var health = transport.Health;
                if (health.State == TransportState.Faulted && time.GetUtcNow() - health.Since >= limit)
                {
                    LogExiting(logger, health.Reason ?? "unknown", limit.TotalSeconds);
                    Environment.ExitCode = ExitCodes.TransportFaulted;
                    lifetime.StopApplication();
                    return;
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Host stopping.
        }
    }

    [LoggerMessage(Level = LogLevel.Critical, Message = "The transport has been faulted for {Seconds} s ({Reason}); stopping the worker so it is restarted.")]
    private static partial void LogExiting(ILogger logger, string reason, double seconds);
}
