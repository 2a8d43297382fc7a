using LlmQueue.Engine;
using LlmQueue.Engine.Cpu;
using LlmQueue.Gpu.Tests.Device;
using Microsoft.Extensions.Logging;

namespace LlmQueue.Gpu.Tests;

/// <summary>Choosing the device: the CUDA backend on a machine without a GPU, and its settings.</summary>
public sealed class CudaBackendTests : IDisposable
{
    private readonly TempDirectory _cache = new();

    [NoGpuFact]
    public async Task Device_cuda_without_a_gpu_stops_the_start_with_one_line_naming_the_reason()
    {
        var options = new EngineOptions { Device = "cuda", CacheDirectory = _cache.Path };
        var error = await Assert.ThrowsAsync<EngineStartException>(() => EngineFactory.CreateAsync(options, Backends(), new LineLogs()));
        Assert.Equal(EngineStartFailure.Configuration, error.Failure);
        Assert.Contains("Engine:Device is cuda but it cannot run here", error.Message, StringComparison.Ordinal);
        Assert.Contains(GpuPresence.MissingReason!, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error.Message);
    }

    [NoGpuFact]
    public async Task Device_auto_without_a_gpu_runs_on_the_cpu_and_says_why()
    {
        var logs = new LineLogs();
        await using var engine = await EngineFactory.CreateAsync(new EngineOptions { Device = "auto", CacheDirectory = _cache.Path }, Backends(), logs);
        Assert.Contains(logs.Lines, l => l.Contains("running on the CPU", StringComparison.Ordinal) && l.Contains(GpuPresence.MissingReason!, StringComparison.Ordinal));
    }

    [Fact]
    public void Settings_name_the_key_they_break_and_the_kernel_cache_defaults_under_the_cache_directory()
    {
        Assert.Empty(new CudaOptions().Validate());
        Assert.Contains("Engine:Cuda:DeviceIndex", Assert.Single(new CudaOptions { DeviceIndex = -1 }.Validate()), StringComparison.Ordinal);
        Assert.Equal(Path.Combine("/cache", "cuda-kernels"), new CudaOptions().KernelCacheFolder("/cache"));
        Assert.Equal("/kernels", new CudaOptions { KernelCacheDirectory = "/kernels" }.KernelCacheFolder("/cache"));
    }

    public void Dispose() => _cache.Dispose();

    private static IRunnerBackend[] Backends() => [new CpuBackend(), new CudaBackend(new CudaOptions())];

    /// <summary>Formats every log call into a line, so tests can read what an operator would see.</summary>
    private sealed class LineLogs : ILoggerFactory, ILogger
    {
        public List<string> Lines { get; } = [];

        public ILogger CreateLogger(string categoryName) => this;

        public void AddProvider(ILoggerProvider provider)
        {
        }

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (Lines)
            {
                Lines.Add(formatter(state, exception));
            }
        }

        public void Dispose()
        {
        }
    }
}
