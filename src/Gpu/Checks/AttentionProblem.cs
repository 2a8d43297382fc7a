namespace LlmQueue.Gpu.Checks;

/// <summary>
/// A random paged-attention input, as host arrays ready to upload: a KV arena cut by a two-type pool layout (layer 0
/// full attention, layer 1, the one attended, sliding when a window is given), ragged sequences (a long decode past
/// one 512-key chunk, prefill chunks, a first chunk) whose blocks sit on shuffled pages, and a padding token. Every
/// arena element no table points at is bf16 NaN and blocks before a window are -1, so a stray read shows. Keys,
/// values and queries are also kept as f32 (exactly the bf16 values) for dense references.
/// </summary>
public sealed class AttentionProblem
{
    private const ushort Bf16NaN = 0x7FC0;

    private AttentionProblem(int headDim, int heads, int kvHeads, int blockTokens, int window)
    {
        HeadDim = headDim;
        Heads = heads;
        KvHeads = kvHeads;
        BlockTokens = blockTokens;
        Window = window;
    }

    public int HeadDim { get; }

    public int Heads { get; }

    public int KvHeads { get; }

    public int BlockTokens { get; }

    public int Window { get; }

    /// <summary>The whole KV allocation (bf16 bits).</summary>
    public ushort[] Arena { get; private set; } = [];

    /// <summary>Elements from the arena start to the attended layer's block in page 0.</summary>
    public long LayerOffset { get; private set; }

    public long PageStride { get; private set; }

    /// <summary>Block tables, [sequence][MaxBlocks] row-major.</summary>
    public int[] Tables { get; private set; } = [];

    public int MaxBlocks { get; private set; }

    public int[] TokenSeq { get; private set; } = [];

    public int[] Positions { get; private set; } = [];

    public int Tokens => Positions.Length;

    /// <summary>Queries [tokens][heads][headDim] as bf16 bits.</summary>
    public ushort[] Queries { get; private set; } = [];

    /// <summary>Keys and values per sequence and position, [kvHeads * headDim] each, as f32 (bf16-exact).</summary>
    public float[][][] Keys { get; private set; } = [];

    public float[][][] Values { get; private set; } = [];

    public static AttentionProblem Random(int headDim, int heads, int kvHeads, int blockTokens, int window, int seed, (int Start, int Length)[]? chunks = null)
    {
        var random = new Random(seed);
        var problem = new AttentionProblem(headDim, heads, kvHeads, blockTokens, window);
        chunks ??= [(700, 1), (37, 6), (0, 3), (511, 2)];
        int? slidingWindow = window > 0 ? window : null;
        var layout = KvPoolLayout.FromLayers(
            [new KvLayerSpec(kvHeads, headDim, 2), new KvLayerSpec(kvHeads, headDim, 2, slidingWindow), new KvLayerSpec(kvHeads, headDim, 2, slidingWindow)],
            blockTokens);
        const int Layer = 1;
        int type = layout.TypeOfLayer(Layer);
        int maxBlocks = (chunks.Max(c => c.Start + c.Length) + blockTokens - 1) / blockTokens;
        int largePages = (chunks.Length * maxBlocks / layout.SmallPagesPerLargePage(type)) + 4;
        var order = Enumerable.Range(0, largePages * layout.SmallPagesPerLargePage(type)).ToArray();
        random.Shuffle(order);

        problem.MaxBlocks = maxBlocks;
        problem.PageStride = layout.SmallPageBytes(type) / 2;
        problem.LayerOffset = layout.LayerBlockOffset(Layer, 0) / 2;
        problem.Arena = new ushort[largePages * layout.LargePageBytes / 2];
        Array.Fill(problem.Arena, Bf16NaN);
        problem.Tables = new int[chunks.Length * maxBlocks];
        problem.Keys = new float[chunks.Length][][];
        problem.Values = new float[chunks.Length][][];
        int nextPage = 0;
        for (int s = 0; s < chunks.Length; s++)
        {
            int context = chunks[s].Start + chunks[s].Length;
            int firstNeeded = layout.Types[type].FirstNeededBlock(chunks[s].Start, blockTokens);
            for (int b = 0; b < maxBlocks; b++)
            {
                problem.Tables[(s * maxBlocks) + b] = b < firstNeeded || b * blockTokens >= context ? -1 : order[nextPage++];
            }

            problem.Keys[s] = new float[context][];
            problem.Values[s] = new float[context][];
            for (int p = 0; p < context; p++)
            {
                problem.Keys[s][p] = RoundedNormal(random, kvHeads * headDim);
                problem.Values[s][p] = RoundedNormal(random, kvHeads * headDim);
                problem.Store(s, p);
            }
        }

        var tokenSeq = new List<int>();
        var positions = new List<int>();
        for (int s = 0; s < chunks.Length; s++)
        {
            for (int i = 0; i < chunks[s].Length; i++)
            {
                tokenSeq.Add(s);
                positions.Add(chunks[s].Start + i);
            }
        }

        tokenSeq.Add(0);
        positions.Add(-1); // padding
        problem.TokenSeq = [.. tokenSeq];
        problem.Positions = [.. positions];
        problem.Queries = [.. RoundedNormal(random, positions.Count * heads * headDim).Select(Float16Bits.SingleToBf16)];
        return problem;
    }

    /// <summary>Normal(0, 1) samples rounded to bf16 and widened back.</summary>
    public static float[] RoundedNormal(Random random, int count)
    {
        ArgumentNullException.ThrowIfNull(random);
        var values = new float[count];
        for (int i = 0; i < count; i++)
        {
            double normal = Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
            values[i] = Float16Bits.Bf16ToSingle(Float16Bits.SingleToBf16((float)normal));
        }

        return values;
    }

    private void Store(int sequence, int position)
    {
        int page = Tables[(sequence * MaxBlocks) + (position / BlockTokens)];
        if (page < 0)
        {
            return; // released: nothing stored, nothing may be read
        }

        for (int h = 0; h < KvHeads; h++)
        {
            long at = LayerOffset + (page * PageStride) + ((((long)h * BlockTokens) + (position % BlockTokens)) * HeadDim);
            long valueAt = at + ((long)KvHeads * BlockTokens * HeadDim);
            for (int d = 0; d < HeadDim; d++)
            {
                Arena[at + d] = Float16Bits.SingleToBf16(Keys[sequence][position][(h * HeadDim) + d]);
                Arena[valueAt + d] = Float16Bits.SingleToBf16(Values[sequence][position][(h * HeadDim) + d]);
            }
        }
    }
}
