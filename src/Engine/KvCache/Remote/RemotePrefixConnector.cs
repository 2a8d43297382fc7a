using System.Diagnostics;
using LlmQueue.Engine.KvCache.Jenga;
using LlmQueue.Engine.KvCache.Prefix;
using LlmQueue.Engine.Runners;
using Microsoft.Extensions.Logging;

namespace LlmQueue.Engine.KvCache.Remote;

/// <summary>
/// Connects the engine's KV pool to the shared remote tier. Reads: for a waiting sequence, the prompt blocks past
/// the local hit are fetched in the background - full-attention types for every block, sliding types only for the
/// blocks inside the window at the hit point - and the longest run every type can serve is loaded into fresh pages.
/// Writes: each newly cached block's page of every type is copied out and queued for write-behind. Runs on the
/// engine thread except the lookups, which only touch their own <see cref="RemoteLookup"/>.
/// </summary>
public sealed class RemotePrefixConnector : IKvConnector
{
    private readonly RemoteKvTier _tier;
    private readonly RemoteKvKeys _keys;
    private readonly JengaKvCache _pool;
    private readonly IModelRunner _runner;
    private readonly Action _wake;
    private readonly ILogger _logger;
    private readonly KvBlockHeader[] _headers;
    private readonly byte[][] _pageScratch;
    private readonly Dictionary<KvSequence, SequenceState> _states = [];
    private long _lookupTicks;

    /// <param name="wake">Called (on a pool thread) when a lookup lands, so the engine schedules again.</param>
    public RemotePrefixConnector(RemoteKvTier tier, RemoteKvKeys keys, JengaKvCache pool, IModelRunner runner, Action wake, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(pool);
        ArgumentNullException.ThrowIfNull(runner);
        _tier = tier;
        _keys = keys;
        _pool = pool;
        _runner = runner;
        _wake = wake;
        _logger = logger;
        var layout = pool.Layout;
        var config = runner.Config;
        _headers = new KvBlockHeader[layout.TypeCount];
        _pageScratch = new byte[layout.TypeCount][];
        for (var t = 0; t < layout.TypeCount; t++)
        {
            var bytes = checked((int)layout.SmallPageBytes(t));
            _headers[t] = new KvBlockHeader(runner.KvPageFormat, layout.Types[t].LayerCount, config.NumKvHeads, config.HeadDim, layout.BlockTokens, layout.BlockTokens, bytes);
            _pageScratch[t] = new byte[bytes];
        }
    }

    /// <summary>Prompt tokens loaded from the tier so far.</summary>
    public long LoadedTokens { get; private set; }

    /// <summary>Wall time of all finished lookups (first store call to hit found), in milliseconds.</summary>
    public double LookupMilliseconds => Interlocked.CompareExchange(ref _lookupTicks, 0, 0) / (double)TimeSpan.TicksPerMillisecond;

    public int? ReadyBlocks(KvSequence sequence, int localBlocks, int maxBlocks)
    {
        var state = StateOf(sequence);
        if (state.Lookup is null)
        {
            state.Lookup = new RemoteLookup(localBlocks, maxBlocks);
            _ = RunLookupAsync(sequence, state.Lookup);
            return null;
        }

        var lookup = state.Lookup;
        if (!lookup.Done.IsCompleted)
        {
            return null;
        }

        // The local hit may have moved since the lookup started: only blocks right after it can be used.
        if (localBlocks < lookup.LocalBlocks)
        {
            return 0;
        }

        return Math.Max(0, lookup.Done.Result - localBlocks);
    }

    public void Load(KvSequence sequence, int fromBlock, int blocks)
    {
        var state = StateOf(sequence);
        var lookup = state.Lookup ?? throw new InvalidOperationException("Load without a finished lookup.");
        for (var b = fromBlock; b < fromBlock + blocks; b++)
        {
            for (var t = 0; t < _headers.Length; t++)
            {
                var page = sequence.BlockTable(t)[b];
                if (page < 0)
                {
                    continue;
                }

                var payload = lookup.Payload(t, b) ?? throw new InvalidOperationException($"No remote payload for block {b} of layer type {t}.");
                _runner.WriteKvPage(t, page, payload.Span);
            }
        }

        // Consumed: the blocks are local now. Should the sequence come back (preempted) and miss them locally,
        // it asks the tier afresh.
        lookup.ReleasePayloads();
        state.Lookup = null;
        LoadedTokens += (long)blocks * _pool.Layout.BlockTokens;
    }

    public void Save(KvSequence sequence)
    {
        var state = StateOf(sequence);
        var committed = Math.Min(sequence.ComputedTokens / _pool.Layout.BlockTokens, sequence.HashedBlocks);
        // Blocks of the admission hit (local or remote) are already in the tier, or were offered when computed.
        state.SavedBlocks ??= sequence.PrefixHitTokens / _pool.Layout.BlockTokens;
        for (var b = state.SavedBlocks.Value; b < committed; b++)
        {
            var hash = sequence.BlockHashAt(b);
            for (var t = 0; t < _headers.Length; t++)
            {
                var page = _pool.CachedPage(hash, t);
                if (page >= 0)
                {
                    _runner.ReadKvPage(t, page, _pageScratch[t]);
                    _tier.TryWrite(_keys.For(t, hash), _headers[t], _pageScratch[t]);
                }
            }
        }

        state.SavedBlocks = Math.Max(state.SavedBlocks.Value, committed);
    }

    public void Forget(KvSequence sequence) => _states.Remove(sequence);

    private SequenceState StateOf(KvSequence sequence)
    {
        if (!_states.TryGetValue(sequence, out var state))
        {
            state = new SequenceState();
            _states.Add(sequence, state);
        }

        return state;
    }

    private async Task RunLookupAsync(KvSequence sequence, RemoteLookup lookup)
    {
        var hit = lookup.LocalBlocks;
        var started = Stopwatch.GetTimestamp();
        try
        {
            // Hashes are read here, before any await: the engine thread only appends to them later.
            var hashes = new BlockHash[lookup.MaxBlocks];
            for (var b = 0; b < hashes.Length; b++)
            {
                hashes[b] = sequence.BlockHashAt(b);
            }

            hit = await FindLongestHitAsync(lookup, hashes);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            _logger.LogWarning(ex, "Remote prefix lookup failed; the prompt is computed locally");
        }
        finally
        {
            Interlocked.Add(ref _lookupTicks, Stopwatch.GetElapsedTime(started).Ticks);
            lookup.Finish(hit);
            _wake();
        }
    }

    /// <summary>
    /// One round trip for the optimistic case (the whole prompt prefix is remote and within MaxLookupBytes):
    /// full-attention types over the remaining blocks, sliding types over the window at the end. Longer runs are
    /// fetched in consecutive calls, stopping at the first missing block; a second call for the sliding types
    /// only when the full-attention run stops early and the window there was not fetched yet.
    /// </summary>
    private async Task<int> FindLongestHitAsync(RemoteLookup lookup, BlockHash[] hashes)
    {
        var layout = _pool.Layout;
        var local = lookup.LocalBlocks;
        var max = lookup.MaxBlocks;
        var fullTypes = Enumerable.Range(0, layout.TypeCount).Where(t => !layout.Types[t].IsSliding).ToArray();
        var fullBytesPerBlock = fullTypes.Sum(t => KvBlockCodec.ValueLength(_headers[t]));
        var blocksPerCall = Math.Max(1, _tier.MaxLookupBytes / Math.Max(1, fullBytesPerBlock));
        var end = fullTypes.Length == 0 ? max : local;
        var windowFetched = false;
        while (true)
        {
            var (from, to) = (end, Math.Min(max, end + blocksPerCall));
            await FetchAsync(lookup, hashes, t => layout.Types[t].IsSliding
                ? (windowFetched ? (0, 0) : (WindowStart(t, max, local), max))
                : (from, to));
            windowFetched = true;
            while (end < to && fullTypes.All(t => lookup.Payload(t, end) is not null))
            {
                end++;
            }

            if (end < to || end >= max)
            {
                break; // a block is missing, or the whole prompt is covered
            }
        }

        if (end < max && end > local)
        {
            await FetchAsync(lookup, hashes, t => layout.Types[t].IsSliding ? (WindowStart(t, end, local), end) : (0, 0));
        }

        for (var hit = end; hit > local; hit--)
        {
            if (WindowsPresent(lookup, hit, local))
            {
                return hit;
            }
        }

        return local;
    }

    /// <summary>Fetches, per type, blocks in range(type) not fetched before: one store call per type, all in flight together.</summary>
    private async Task FetchAsync(RemoteLookup lookup, BlockHash[] hashes, Func<int, (int From, int To)> range)
    {
        var calls = new List<Task>();
        for (var t = 0; t < _headers.Length; t++)
        {
            var (from, to) = range(t);
            var blocks = Enumerable.Range(from, Math.Max(0, to - from)).Where(b => !lookup.Fetched(t, b)).ToArray();
            if (blocks.Length > 0)
            {
                var type = t;
                var keys = blocks.Select(b => _keys.For(type, hashes[b])).ToArray();
                calls.Add(_tier.LookupAsync(keys, _headers[t]).ContinueWith(
                    found => lookup.Store(type, blocks, found.Result), TaskScheduler.Default));
            }
        }

        await Task.WhenAll(calls);
    }

    private bool WindowsPresent(RemoteLookup lookup, int hit, int local)
    {
        var layout = _pool.Layout;
        for (var t = 0; t < layout.TypeCount; t++)
        {
            if (!layout.Types[t].IsSliding)
            {
                continue;
            }

            for (var b = WindowStart(t, hit, local); b < hit; b++)
            {
                if (lookup.Payload(t, b) is null)
                {
                    return false;
                }
            }
        }

        return true;
    }

    /// <summary>First block a hit of <paramref name="hit"/> blocks needs of sliding type <paramref name="type"/>, not before the local hit.</summary>
    private int WindowStart(int type, int hit, int local) =>
        Math.Max(local, _pool.Layout.Types[type].FirstNeededBlock(hit * _pool.Layout.BlockTokens, _pool.Layout.BlockTokens));

    private sealed class SequenceState
    {
        public RemoteLookup? Lookup { get; set; }

        public int? SavedBlocks { get; set; }
    }
}
