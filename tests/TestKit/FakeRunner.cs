using System.Buffers.Binary;
using LlmQueue.Engine.KvCache.Jenga;
using LlmQueue.Engine.Runners;
using LlmQueue.Models;
using LlmQueue.Models.Weights;

namespace LlmQueue.TestKit;

/// <summary>
/// A runner that does no math but is deterministic and honest about paging: each token is written into its slot
/// of every layer type's page (as its id), and a sampled token is a hash of the tokens read back from the pages
/// the row may see (everything for full attention, the window for sliding types) and, unless greedy, of the
/// seed and position. So wrong block tables, prefix-cache hits on the wrong pages, lost remote loads or a
/// released block being read change the output (reading a -1 block throws), while the engine, scheduler and
/// admission tests run in microseconds. Logprobs are made up but well-formed.
/// </summary>
public sealed class FakeRunner : IModelRunner
{
    /// <summary>The page format id of fake pages (a real runner's pages never pass for them).</summary>
    public const byte FakeLayout = 0xFA;

    private readonly byte[][] _pages;
    private ForwardBatch? _launched;
    private bool _disposed;

    public FakeRunner(ModelConfig config, int blockTokens, int largePages)
    {
        ArgumentNullException.ThrowIfNull(config);
        Config = config;
        KvLayout = KvPoolLayout.ForModel(config, blockTokens, sizeof(float));
        KvLargePages = largePages;
        _pages = [.. Enumerable.Range(0, KvLayout.TypeCount).Select(t => new byte[largePages * KvLayout.LargePageBytes])];
    }

    public ModelConfig Config { get; }

    public KvPoolLayout KvLayout { get; }

    public int KvLargePages { get; }

    /// <summary>f32-sized fake pages; a test may give the runner another format to act as another backend's replica.</summary>
    public KvPageFormat KvPageFormat { get; init; } = new(TensorDType.F32, FakeLayout);

    /// <summary>Steps launched so far.</summary>
    public int Steps { get; private set; }

    /// <summary>Sequences in each step launched, in order.</summary>
    public List<int> BatchSizes { get; } = [];

    /// <summary>When set, a step whose batch it returns true for throws (a failing device, a bad kernel).</summary>
    public Func<ForwardBatch, bool>? FailWhen { get; set; }

    /// <summary>Runs at the start of every step on the engine thread: tests hold the engine mid-step with it.</summary>
    public Action<ForwardBatch>? OnLaunch { get; set; }

    public void ReadKvPage(int type, int page, Span<byte> destination) => Page(type, page).CopyTo(destination);

    public void WriteKvPage(int type, int page, ReadOnlySpan<byte> source)
    {
        var target = Page(type, page);
        if (source.Length != target.Length)
        {
            throw new ArgumentException($"KV page of type {type} has {target.Length} bytes; got {source.Length}.", nameof(source));
        }

        source.CopyTo(target);
    }

    public void Launch(ForwardBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_launched is not null)
        {
            throw new InvalidOperationException("A step is already in flight.");
        }

        var shape = BatchShape.Validate(batch, Config, KvLayout, KvLargePages);
        OnLaunch?.Invoke(batch);
        if (FailWhen?.Invoke(batch) == true)
        {
            throw new InvalidOperationException("fake runner: injected step failure");
        }

        Steps++;
        BatchSizes.Add(batch.Sequences.Count);
        batch.Outputs.Reset(shape.LogitRows);
        var row = 0;
        foreach (var chunk in batch.Sequences)
        {
            Write(chunk);
            if (chunk.NeedsLogits)
            {
                Sample(chunk, batch.Sampling[row], batch.Outputs, row);
                row++;
            }
        }

        _launched = batch;
    }

    public void Collect(ForwardBatch batch)
    {
        if (!ReferenceEquals(batch, _launched))
        {
            throw new InvalidOperationException("Collect needs the batch of the step in flight.");
        }

        _launched = null;
    }

    public void Dispose() => _disposed = true;

    private Span<byte> Page(int type, int page) =>
        _pages[type].AsSpan(checked((int)(page * KvLayout.SmallPageBytes(type))), (int)KvLayout.SmallPageBytes(type));

    private void Write(SequenceChunk chunk)
    {
        var tokens = chunk.Tokens.Span;
        for (var i = 0; i < tokens.Length; i++)
        {
            var position = chunk.StartPosition + i;
            for (var type = 0; type < KvLayout.TypeCount; type++)
            {
                var page = chunk.BlockTable(type, KvLayout.TypeCount)[position / KvLayout.BlockTokens];
                BinaryPrimitives.WriteInt32LittleEndian(Page(type, page)[((position % KvLayout.BlockTokens) * sizeof(int))..], tokens[i]);
            }
        }
    }

    private void Sample(SequenceChunk chunk, SamplingRow row, StepOutputs outputs, int index)
    {
        var end = chunk.StartPosition + chunk.Tokens.Length;
        var hash = 0xCBF29CE484222325UL;
        for (var type = 0; type < KvLayout.TypeCount; type++)
        {
            var first = KvLayout.Types[type].SlidingWindow is { } window ? Math.Max(0, end - window) : 0;
            var table = chunk.BlockTable(type, KvLayout.TypeCount);
            for (var position = first; position < end; position++)
            {
                var page = table[position / KvLayout.BlockTokens];
                if (page < 0)
                {
                    throw new InvalidOperationException($"fake runner: position {position} of layer type {type} lies in a released block");
                }

                var token = BinaryPrimitives.ReadInt32LittleEndian(Page(type, page)[((position % KvLayout.BlockTokens) * sizeof(int))..]);
                hash = (hash ^ (uint)token) * 0x100000001B3UL;
            }
        }

        var parameters = row.Parameters;
        if (!parameters.IsGreedy)
        {
            hash ^= (parameters.Seed * 0x9E3779B97F4A7C15UL) + (ulong)row.Position;
            hash = (hash ^ (hash >> 31)) * 0xBF58476D1CE4E5B9UL;
        }

        var sampled = (int)(hash % (ulong)Config.VocabSize);
        outputs.SampledTokens[index] = sampled;
        if (parameters.WantsLogprobs)
        {
            outputs.SampledLogprobs[index] = -0.5f;
            var ids = outputs.TopTokenIds(index);
            var logprobs = outputs.TopLogprobs(index);
            for (var i = 0; i < parameters.Logprobs; i++)
            {
                ids[i] = (sampled + i) % Config.VocabSize;
                logprobs[i] = -0.5f - i;
            }
        }
    }
}
