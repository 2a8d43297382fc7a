using System.Collections.Concurrent;
using LlmQueue.Engine.KvCache.Jenga;
using LlmQueue.Engine.KvCache.Remote;
using LlmQueue.Engine.Runners;
using LlmQueue.Engine.Scheduling;
using LlmQueue.Models;
using LlmQueue.Models.Templates;
using LlmQueue.Models.Tokenization;
using Microsoft.Extensions.Logging;

namespace LlmQueue.Engine;

/// <summary>
/// The engine behind <see cref="IGenerationEngine"/>: validates and tokenizes on the caller's thread,
/// then hands requests to one dedicated loop thread that owns the scheduler, KV blocks and runner.
/// </summary>
public sealed class GenerationEngine : IGenerationEngine
{
    private readonly IModelRunner _runner;
    private readonly ITokenizer _tokenizer;
    private readonly JengaKvCache _kvCache;
    private readonly RemotePrefixConnector? _remote;
    private readonly EngineMetrics _metrics;
    private readonly EngineCore _core;
    private readonly EngineOptions _options;
    private readonly ILogger _logger;
    private readonly IDisposable? _modelLifetime;
    private readonly ChatTemplate? _chatTemplate;
    private readonly ConcurrentQueue<ActiveRequest> _submitted = new();
    private readonly ConcurrentQueue<string> _cancelled = new();
    private readonly ConcurrentDictionary<string, byte> _known = new(StringComparer.Ordinal);
    private readonly AutoResetEvent _wake = new(false);
    private readonly Thread _loop;
    private volatile bool _stopping;
    private volatile bool _backlogged;
    private EngineStats _stats;
    private long _arrivals;

    /// <param name="chatTemplate">Renders Messages requests; null: the model has none and such requests are rejected.</param>
    /// <param name="modelLifetime">Released after the runner on dispose (the weights' file mappings), if the engine owns them.</param>
    /// <param name="modelFingerprint">Identifies the model's weights in block hashes and remote keys; null: name and shape only.</param>
    /// <param name="remoteTier">The shared prefix tier (owned by the caller), or null for local prefix caching only.</param>
    public GenerationEngine(
        IModelRunner runner,
        ITokenizer tokenizer,
        string modelName,
        EngineOptions options,
        ILogger logger,
        ChatTemplate? chatTemplate = null,
        IDisposable? modelLifetime = null,
        string? modelFingerprint = null,
        RemoteKvTier? remoteTier = null)
    {
        ArgumentNullException.ThrowIfNull(runner);
        ArgumentNullException.ThrowIfNull(options);
        _modelLifetime = modelLifetime;
        _chatTemplate = chatTemplate;
        _runner = runner;
        _tokenizer = tokenizer;
        _options = options;
        _logger = logger;
        var fingerprint = modelFingerprint ?? $"{modelName}|{runner.Config}";
        // The pool's pages are the runner's KV memory, page for page; the fingerprint roots every block hash, so
        // blocks are only shared by processes serving the same model.
        _kvCache = new JengaKvCache(runner.KvLayout, runner.KvLargePages * runner.KvLayout.LargePageBytes, fingerprint, options.EnablePrefixCaching);
        if (remoteTier is not null && options.EnablePrefixCaching)
        {
            _remote = new RemotePrefixConnector(remoteTier, remoteTier.KeysFor(fingerprint), _kvCache, runner, WakeFromLookup, logger);
        }

        var contextLength = (int)Math.Min(runner.Config.MaxPositionEmbeddings, runner.KvLayout.MaxSequenceTokens(_kvCache.CapacityBytes));
        Model = new ModelInfo(modelName, contextLength, runner.Config.VocabSize);
        var scheduler = new Scheduler(new SchedulerLimits(options.MaxBatchTokens, options.MaxRunningRequests), _kvCache, _remote);
        _core = new EngineCore(runner, scheduler, contextLength, runner.Config.EosTokenIds.ToHashSet(), tokenizer);
        _stats = Stats();
        _metrics = new EngineMetrics(GetStats, this);
        _loop = new Thread(RunLoop) { IsBackground = true, Name = "llmq-engine" };
        _loop.Start();
    }

    public ModelInfo Model { get; }

    public int AvailableSlots => _backlogged ? 0 : Math.Max(0, _options.MaxRunningRequests - _known.Count);

    public event Action? CapacityChanged;

    public GenerationHandle Submit(GenerationRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        ObjectDisposedException.ThrowIf(_stopping, this);
        var prompt = RequestValidator.Validate(request, Model, _tokenizer, _chatTemplate);
        if (!_known.TryAdd(request.RequestId, 0))
        {
            throw new RequestRejectedException(RejectionReason.InvalidRequest,
                $"requestId '{request.RequestId}' is already running on this worker.");
        }

        var sequence = new EngineSequence(
            request.RequestId, prompt, request.Priority, Interlocked.Increment(ref _arrivals), _kvCache.CreateSequence(request.CacheSalt));
        var active = new ActiveRequest(
            request,
            sequence,
            request.Sampling.ToParameters(),
            new OutputTextStream(_tokenizer, request.Sampling.StopStrings, request.Sampling.SkipSpecialTokens),
            Forget);
        _submitted.Enqueue(active);
        _wake.Set();
        return active.Handle;
    }

    public bool Cancel(string requestId)
    {
        if (!_known.ContainsKey(requestId))
        {
            return false;
        }

        _cancelled.Enqueue(requestId);
        _wake.Set();
        return true;
    }

    public EngineStats GetStats() => Volatile.Read(ref _stats);

    public ValueTask DisposeAsync()
    {
        if (!_stopping)
        {
            _stopping = true;
            _wake.Set();
            _loop.Join();
            _runner.Dispose();
            _modelLifetime?.Dispose();
            _metrics.Dispose();
            _wake.Dispose();
        }

        return ValueTask.CompletedTask;
    }

    /// <summary>On the engine thread, before the request's result is released: its caller then sees current stats and capacity.</summary>
    private void Forget(string requestId)
    {
        _known.TryRemove(requestId, out _);
        Volatile.Write(ref _stats, Stats());
        CapacityChanged?.Invoke();
    }

    private void RunLoop()
    {
        while (!_stopping)
        {
            DrainInbox();
            _core.ExpireDeadlines(DateTimeOffset.UtcNow);
            var worked = false;
            try
            {
                worked = _core.Step();
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                // A bug in one step must not kill the loop that serves every other request.
                _logger.LogError(ex, "Engine step failed; cancelling all requests");
                _core.CancelAll();
            }

            PublishState();
            if (!worked)
            {
                _wake.WaitOne();
            }
        }

        _core.CancelAll();
    }

    private void DrainInbox()
    {
        while (_submitted.TryDequeue(out var request))
        {
            _core.Add(request);
        }

        while (_cancelled.TryDequeue(out var requestId))
        {
            _core.Cancel(requestId);
        }
    }

    /// <summary>Cached-but-unreferenced pages count as free: they are evicted on demand.</summary>
    private EngineStats Stats() => _core.Stats(_kvCache.FreeBytes + _kvCache.EvictableBytes, _kvCache.CapacityBytes) with
    {
        RemotePromptTokens = _remote?.LoadedTokens ?? 0,
        RemoteLookupMs = _remote?.LookupMilliseconds ?? 0,
    };

    /// <summary>A remote lookup landed (pool thread): schedule again, unless the engine is already gone.</summary>
    private void WakeFromLookup()
    {
        if (!_stopping)
        {
            try
            {
                _wake.Set();
            }
            catch (ObjectDisposedException)
            {
                // Disposed between the check and the call: nothing left to schedule.
            }
        }
    }

    private void PublishState()
    {
        Volatile.Write(ref _stats, Stats());
        var backlogged = _core.WaitingCount > 0;
        if (backlogged != _backlogged)
        {
            _backlogged = backlogged;
            CapacityChanged?.Invoke();
        }
    }
}
