using LlmQueue.Engine.Runners;
using LlmQueue.Models;
using Microsoft.Extensions.Logging;

namespace LlmQueue.Engine;

/// <summary>
/// A way to run models (the CPU, a CUDA GPU): what the engine factory picks from by Engine:Device. A backend
/// registers itself in the host (e.g. AddCpuRunnerBackend); the engine knows none by name.
/// </summary>
public interface IRunnerBackend
{
    /// <summary>The Engine:Device value that names it (see <see cref="EngineDevices"/>).</summary>
    string Device { get; }

    /// <summary>Null when it can run here; otherwise one line saying why not (e.g. "no CUDA driver: libcuda.so.1 not found").</summary>
    string? Unavailable { get; }

    /// <summary>
    /// Builds the runner over loaded weights. The backend sizes the KV memory now that the weights are in place
    /// (the CPU from Engine:KvCacheMiB, a GPU from the memory left under Engine:GpuMemoryUtilization). Throws
    /// <see cref="EngineStartException"/> for what the operator must fix (too little memory, unsupported shape).
    /// </summary>
    IModelRunner CreateRunner(LlamaModel model, EngineOptions options, ILogger logger);
}
