using LlmQueue.Engine.Runners;
using LlmQueue.Engine.Sampling;
using LlmQueue.Models;
using LlmQueue.TestKit;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace LlmQueue.Engine.Tests;

/// <summary>Start-up through the factory: device choice, and expected failures as one typed line each.</summary>
public sealed class EngineFactoryTests : IDisposable
{
    private readonly TempDirectory _cache = new();

    [Fact]
    public async Task Auto_runs_on_the_cpu_when_no_cuda_backend_can_run_and_says_why_in_one_line()
    {
        var logs = new ListLogger();
        await using var engine = await CreateAsync(Options(), [new TestBackend("cpu"), new TestBackend("cuda", "no CUDA driver: libcuda.so.1 not found")], logs);
        var result = await engine.Submit(new GenerationRequest { RequestId = "r", Prompt = "hello", Sampling = new SamplingSettings { MaxTokens = 3 } }).Completion;

        Assert.Equal(3, result.CompletionTokens);
        Assert.Single(logs.Lines, l => l.Contains("running on the CPU (no CUDA driver: libcuda.so.1 not found)", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Auto_prefers_a_cuda_backend_that_can_run()
    {
        var cuda = new TestBackend("cuda");
        var cpu = new TestBackend("cpu");
        await using var engine = await CreateAsync(Options(), [cpu, cuda]);

        Assert.Equal((1, 0), (cuda.Created, cpu.Created));
    }

    [Theory]
    [InlineData("cuda", "cpu", "no GPU", "Engine:Device is cuda but it cannot run here: no GPU.")]
    [InlineData("cuda", "cpu", null, "Engine:Device is cuda but no cuda backend is registered in this build (registered: cpu).")]
    [InlineData("tpu", "cpu", null, "Engine:Device must be one of cpu, cuda, auto, got 'tpu'.")]
    public async Task A_device_that_cannot_run_is_a_configuration_error(string device, string registered, string? cudaUnavailable, string message)
    {
        IRunnerBackend[] backends = cudaUnavailable is null ? [new TestBackend(registered)] : [new TestBackend(registered), new TestBackend("cuda", cudaUnavailable)];
        var error = await Assert.ThrowsAsync<EngineStartException>(() => CreateAsync(Options(o => o.Device = device), backends));

        Assert.Equal((EngineStartFailure.Configuration, message), (error.Failure, error.Message));
    }

    [Fact]
    public async Task Bad_settings_are_a_configuration_error_naming_every_key()
    {
        var error = await Assert.ThrowsAsync<EngineStartException>(() => CreateAsync(Options(o => (o.KvCacheMiB, o.Threads) = (0, -1)), [new TestBackend("cpu")]));

        Assert.Equal(EngineStartFailure.Configuration, error.Failure);
        Assert.Contains("Engine:KvCacheMiB must be > 0, got 0.", error.Message, StringComparison.Ordinal);
        Assert.Contains("Engine:Threads must be >= 0", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_broken_model_is_a_model_error_naming_the_file_and_the_problem()
    {
        using var folder = TestCheckpoints.Write(Models.Synthetic.SyntheticModelSpec.Tiny);
        var config = folder.File(ModelConfigReader.FileName);
        File.WriteAllText(config, File.ReadAllText(config).Replace("\"hidden_size\"", "\"hidden_sise\"", StringComparison.Ordinal));

        var error = await Assert.ThrowsAsync<EngineStartException>(() => CreateAsync(Options(o => o.ModelPath = folder.Path), [new TestBackend("cpu")]));

        Assert.Equal(EngineStartFailure.Model, error.Failure);
        Assert.Contains(config, error.Message, StringComparison.Ordinal);
        Assert.Contains("hidden_size", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Fact]
    public async Task A_model_folder_without_its_tokenizer_is_a_model_error()
    {
        using var folder = TestCheckpoints.Write(Models.Synthetic.SyntheticModelSpec.Tiny);
        File.Delete(folder.File(LlamaModel.TokenizerFileName));
        var backend = new TestBackend("cpu");

        var error = await Assert.ThrowsAsync<EngineStartException>(() => CreateAsync(Options(o => o.ModelPath = folder.Path), [backend]));

        Assert.Equal(EngineStartFailure.Model, error.Failure);
        Assert.Contains("tokenizer.json: file not found", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, backend.Created);
    }

    public void Dispose() => _cache.Dispose();

    private EngineOptions Options(Action<EngineOptions>? change = null)
    {
        var options = new EngineOptions { SyntheticModel = "tiny", CacheDirectory = _cache.Path, KvCacheMiB = 16 };
        change?.Invoke(options);
        return options;
    }

    private static Task<IGenerationEngine> CreateAsync(EngineOptions options, IRunnerBackend[] backends, ILogger? logger = null) =>
        EngineFactory.CreateAsync(options, backends, logger is null ? NullLoggerFactory.Instance : new SingleLoggerFactory(logger));

    /// <summary>A backend running the fake runner, available or not.</summary>
    private sealed class TestBackend(string device, string? unavailable = null) : IRunnerBackend
    {
        public int Created { get; private set; }

        public string Device => device;

        public string? Unavailable => unavailable;

        public IModelRunner CreateRunner(LlamaModel model, EngineOptions options, ILogger logger)
        {
            Created++;
            return new FakeRunner(model.Config, options.BlockSize, 64);
        }
    }

    private sealed class ListLogger : ILogger
    {
        public List<string> Lines { get; } = [];

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Lines.Add(formatter(state, exception));
    }

    private sealed class SingleLoggerFactory(ILogger logger) : ILoggerFactory
    {
        public void AddProvider(ILoggerProvider provider)
        {
        }

        public ILogger CreateLogger(string categoryName) => logger;

        public void Dispose()
        {
        }
    }
}
