using LlmQueue.Engine;
using LlmQueue.Gpu.Compilation;
using LlmQueue.Gpu.Devices;
using LlmQueue.Gpu.Driver;
using LlmQueue.Gpu.Execution;
using LlmQueue.Gpu.Native;
using Microsoft.Extensions.Logging;

namespace LlmQueue.Gpu;

/// <summary>
/// Runs models on a CUDA GPU (Engine:Device cuda, or auto where it is available): opens device
/// Engine:Cuda:DeviceIndex, compiles the kernels for it (cached on disk), logs the driver, NVRTC and cuBLAS in use,
/// and builds a <see cref="CudaModelRunner"/> whose KV cache gets what Engine:GpuMemoryUtilization of the device
/// leaves after the weights.
/// </summary>
public sealed class CudaBackend : IRunnerBackend
{
    private readonly CudaOptions _options;
    private readonly Lazy<string?> _unavailable;

    public CudaBackend(CudaOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _unavailable = new Lazy<string?>(Probe);
    }

    public string Device => EngineDevices.Cuda;

    public string? Unavailable => _unavailable.Value;

    public IModelRunner CreateRunner(LlamaModel model, EngineOptions options, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(logger);
        var device = Open(options.CacheDirectory, logger);
        try
        {
            var settings = new CudaRunnerSettings(
                options.BlockSize, options.MaxBatchTokens, options.MaxRunningRequests, MemoryUtilization: options.GpuMemoryUtilization, UseGraphs: _options.Graphs);
            var runner = new CudaModelRunner(device, model, settings, ownedDevice: device);
            var (free, total) = device.Cuda.MemoryInfo();
            logger.LogInformation(
                "CUDA runner: {LargePages} KV pages, up to {Tokens} tokens per step in {Sequences} sequences, decode graphs {Graphs}; {Used} of {Total} MiB in use",
                runner.KvLargePages, runner.Limits.MaxTokens, runner.Limits.MaxSequences, _options.Graphs ? "on" : "off", (total - free) >> 20, total >> 20);
            return runner;
        }
        catch (CudaException error)
        {
            throw new EngineStartException(EngineStartFailure.Configuration, $"CUDA device {_options.DeviceIndex} cannot hold the model: {error.Message}", error);
        }
        catch (ArgumentException error)
        {
            throw new EngineStartException(EngineStartFailure.Model, $"The CUDA backend cannot run this model: {error.Message}", error);
        }
    }

    /// <summary>Null when a device, NVRTC and cuBLAS are all there; else the first thing missing.</summary>
    private string? Probe()
    {
        int devices = CudaDriverApi.CountDevices(out string reason);
        if (devices == 0)
        {
            return reason;
        }

        if (_options.DeviceIndex >= devices)
        {
            return $"{CudaOptions.SectionName}:DeviceIndex is {_options.DeviceIndex} but the driver sees {devices} device(s)";
        }

        if (NvrtcCompiler.TryLoad() is null)
        {
            return $"NVRTC could not be loaded (tried {string.Join(", ", NvrtcNative.Sonames)}; set {NativeLibraryProbe.PathVariable} to its folder)";
        }

        return CublasNative.TryLoad() is null
            ? $"cuBLAS could not be loaded (tried {string.Join(", ", CublasNative.Sonames)}; set {NativeLibraryProbe.PathVariable} to its folder)"
            : null;
    }

    private DeviceBackend Open(string cacheDirectory, ILogger logger)
    {
        string cache = _options.KernelCacheFolder(cacheDirectory);
        DeviceBackend device;
        try
        {
            device = DeviceBackend.Open(_options.DeviceIndex, new KernelCache(cache));
        }
        catch (CudaException error)
        {
            throw new EngineStartException(EngineStartFailure.Configuration, $"CUDA device {_options.DeviceIndex} could not be opened: {error.Message}", error);
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            throw new EngineStartException(EngineStartFailure.Configuration, $"{CudaOptions.SectionName}:KernelCacheDirectory '{cache}': {error.Message}", error);
        }

        var info = device.Cuda.Device;
        logger.LogInformation(
            "CUDA device {Index}: {Name}, compute capability {Major}.{Minor}, {Sms} SMs, {MiB} MiB; driver CUDA {Driver} ({DriverLibrary}); NVRTC {Nvrtc} ({NvrtcLibrary}); cuBLAS {Cublas}",
            info.Ordinal, info.Name, info.ComputeMajor, info.ComputeMinor, info.Multiprocessors, info.TotalMemoryBytes >> 20, info.DriverVersionText,
            device.DriverLibrary, device.Compiler.Version, device.Compiler.LibraryName, device.Blas.Version);
        logger.LogInformation(
            "CUDA kernels for {Target}: {Source} in {Seconds:F1} s ({Cache})",
            device.Compiled.Target, device.FreshCompile ? "compiled by NVRTC" : "loaded from the cache", device.CompileTime.TotalSeconds, cache);
        return device;
    }
}
