using Microsoft.Extensions.Logging;

namespace LlmQueue.Engine;

/// <summary>Picks the backend Engine:Device asks for among the registered ones.</summary>
internal static class BackendSelection
{
    public static IRunnerBackend Choose(string device, IReadOnlyList<IRunnerBackend> backends, ILogger logger)
    {
        var cuda = Find(backends, EngineDevices.Cuda);
        if (string.Equals(device, EngineDevices.Auto, StringComparison.OrdinalIgnoreCase))
        {
            if (cuda is { Unavailable: null })
            {
                logger.LogInformation("Engine:Device auto: running on CUDA");
                return cuda;
            }

            var cpu = Require(backends, EngineDevices.Cpu);
            logger.LogInformation("Engine:Device auto: running on the CPU ({Reason})", cuda?.Unavailable ?? "no CUDA backend is registered in this build");
            return cpu;
        }

        var chosen = Require(backends, device);
        return chosen.Unavailable is { } reason
            ? throw new EngineStartException(EngineStartFailure.Configuration, $"Engine:Device is {device} but it cannot run here: {reason}.")
            : chosen;
    }

    private static IRunnerBackend? Find(IReadOnlyList<IRunnerBackend> backends, string device) =>
        backends.FirstOrDefault(b => string.Equals(b.Device, device, StringComparison.OrdinalIgnoreCase));

    private static IRunnerBackend Require(IReadOnlyList<IRunnerBackend> backends, string device) =>
        Find(backends, device) ?? throw new EngineStartException(EngineStartFailure.Configuration,
            $"Engine:Device is {device} but no {device} backend is registered in this build (registered: {(backends.Count == 0 ? "none" : string.Join(", ", backends.Select(b => b.Device)))}).");
}
