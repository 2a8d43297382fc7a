using LlmQueue.Gpu.Blas;
using LlmQueue.Gpu.Driver;

namespace LlmQueue.Gpu.Kernels;

/// <summary>
/// Typed launches of every kernel: checks a call's shape against what the kernel supports, builds its arguments by
/// name against <see cref="KernelCatalog"/>, and picks the launch shape the kernel's index math expects. The same
/// launches run on the device and, through the fake driver, as the C# references. A call with no rows launches
/// nothing.
/// </summary>
public sealed class KernelLauncher(ICudaApi cuda, KernelModule module)
{
    public const int RowThreads = 256;
    public const int RopeWarps = 4;
    public const int AttentionThreads = 128;

    /// <summary>attention.cu's ATTN_REDUCE_THREADS: one thread per partition weight, and at least one per head dimension.</summary>
    public const int AttentionReduceThreads = 512;

    /// <summary>attention.cu's ATTN_MAX_PARTS: partitions the reduce combines, one weight per thread.</summary>
    public const int AttentionMaxParts = 256;
    public const int MaxRopeHeadDim = 256;

    /// <summary>sampling.cu's SAMPLE_THREADS: the block size its block-wide scans are written for.</summary>
    public const int SampleThreads = 512;

    /// <summary>attention.cu's ATTN_MAX_GROUP: query heads one attention block handles.</summary>
    public const int AttentionMaxGroup = 4;

    /// <summary>gemv.cu's GEMV_WARPS: warps per block.</summary>
    private const int GemvWarps = 8;

    /// <summary>Warps a product aims for: a full H100/H200 (132 SMs x 64 warps is 8448).</summary>
    private const int GemvTargetWarps = 8192;

    /// <summary>Blocks of a grid-stride launch: enough to fill any current GPU several times over.</summary>
    private const int StrideBlocks = 4096;

    public void EmbedTokens(CudaStreamHandle stream, EmbedTokensCall call)
    {
        if (call.Tokens == 0)
        {
            return;
        }

        Require(call.Width > 0 && !call.Table.IsNull && !call.Ids.IsNull && !call.Hidden.IsNull, KernelCatalog.EmbedTokens, "width > 0 and table, ids, hidden set");
        var arguments = KernelCatalog.EmbedTokens.Arguments()
            .Address("table", call.Table).Address("ids", call.Ids).Address("hidden", call.Hidden)
            .I32("tokens", call.Tokens).I32("width", call.Width).F32("scale", call.Scale);
        Launch(stream, KernelCatalog.EmbedTokens, LaunchDims.Grid1D(call.Tokens, RowThreads), arguments);
    }

    public void RmsNorm(CudaStreamHandle stream, RmsNormCall call)
    {
        if (call.Rows == 0)
        {
            return;
        }

        Require(call.Width > 0 && !call.X.IsNull && !call.Gain.IsNull && !call.Out.IsNull, KernelCatalog.RmsNorm, "width > 0 and x, gain, out set");
        var arguments = KernelCatalog.RmsNorm.Arguments()
            .Address("x", call.X).Address("rows", call.RowIndex).Address("gain", call.Gain).Address("out", call.Out)
            .I32("n_rows", call.Rows).I32("width", call.Width).F32("eps", call.Eps).I32("add_one", call.AddOne ? 1 : 0);
        Launch(stream, KernelCatalog.RmsNorm, LaunchDims.Grid1D(call.Rows, RowThreads), arguments);
    }

    public void AddRmsNorm(CudaStreamHandle stream, AddRmsNormCall call)
    {
        if (call.Rows == 0)
        {
            return;
        }

        Require(call.Width > 0 && !call.Hidden.IsNull && !call.Delta.IsNull && call.Gain.IsNull == call.Out.IsNull, KernelCatalog.AddRmsNorm, "width > 0, hidden and delta set, gain and out both set or both null");
        var arguments = KernelCatalog.AddRmsNorm.Arguments()
            .Address("hidden", call.Hidden).Address("delta", call.Delta).Address("delta_bias", call.DeltaBias).Address("delta_gain", call.DeltaGain)
            .Address("gain", call.Gain).Address("out", call.Out)
            .I32("n_rows", call.Rows).I32("width", call.Width).F32("eps", call.Eps).I32("add_one", call.AddOne ? 1 : 0);
        Launch(stream, KernelCatalog.AddRmsNorm, LaunchDims.Grid1D(call.Rows, RowThreads), arguments);
    }

    public void RopeQkvStore(CudaStreamHandle stream, RopeQkvStoreCall call)
    {
        if (call.Tokens == 0)
        {
            return;
        }

        Require(
            call.HeadDim is > 0 and <= MaxRopeHeadDim && call.HeadDim % 2 == 0 && call.Heads > 0 && call.KvHeads > 0 && call.BlockTokens > 0
                && !call.Qkv.IsNull && !call.InverseFrequencies.IsNull && !call.Positions.IsNull && !call.SlotMapping.IsNull && !call.QOut.IsNull && !call.KvLayer.IsNull,
            KernelCatalog.RopeQkvStore,
            $"an even head_dim <= {MaxRopeHeadDim}, positive head and block counts, every required buffer set");
        var arguments = KernelCatalog.RopeQkvStore.Arguments()
            .Address("qkv", call.Qkv).Address("bias", call.Bias).Address("q_gain", call.QGain).Address("k_gain", call.KGain)
            .Address("inv_freq", call.InverseFrequencies).Address("positions", call.Positions).Address("slot_mapping", call.SlotMapping)
            .Address("q_out", call.QOut).Address("kv_layer", call.KvLayer).I64("page_stride", call.PageStride)
            .I32("tokens", call.Tokens).I32("heads", call.Heads).I32("kv_heads", call.KvHeads).I32("head_dim", call.HeadDim)
            .I32("block_tokens", call.BlockTokens).F32("eps", call.Eps).I32("add_one", call.AddOne ? 1 : 0);
        int units = call.Heads + call.KvHeads;
        Launch(stream, KernelCatalog.RopeQkvStore, new LaunchDims(call.Tokens, (units + RopeWarps - 1) / RopeWarps, 1, RopeWarps * 32), arguments);
    }

    /// <summary>Attention, then the partition reduce when <see cref="PagedAttentionCall.NumParts"/> > 1.</summary>
    public void PagedAttention(CudaStreamHandle stream, PagedAttentionCall call)
    {
        if (call.Tokens == 0)
        {
            return;
        }

        var signature = KernelCatalog.PagedAttention(call.HeadDim);
        Require(
            call.Heads > 0 && call.KvHeads > 0 && call.Heads % call.KvHeads == 0 && call.BlockTokens > 0 && call.TableStride > 0
                && call.Window >= 0 && call.Softcap >= 0 && call.MinPartTokens > 0 && call.NumParts > 0
                && call.NumParts <= AttentionMaxParts
                && (call.NumParts == 1 || (!call.PartAcc.IsNull && !call.PartMl.IsNull)),
            signature,
            $"heads a multiple of kv_heads, positive block/table/partition sizes, window and softcap >= 0, 1..{AttentionMaxParts} partitions, partial buffers when num_parts > 1");
        var arguments = signature.Arguments()
            .Address("q", call.Q).Address("kv_layer", call.KvLayer).I64("page_stride", call.PageStride).Address("block_table", call.BlockTable)
            .I32("table_stride", call.TableStride).Address("token_seq", call.TokenSeq).Address("positions", call.Positions)
            .Address("part_acc", call.PartAcc).Address("part_ml", call.PartMl).Address("out", call.Out)
            .I32("tokens", call.Tokens).I32("heads", call.Heads).I32("kv_heads", call.KvHeads).I32("block_tokens", call.BlockTokens)
            .I32("window", call.Window).F32("scale", call.Scale).F32("softcap", call.Softcap)
            .I32("min_part_tokens", call.MinPartTokens).I32("num_parts", call.NumParts);
        Launch(stream, signature, new LaunchDims(call.Tokens, call.KvHeads * AttentionGroupSplits(call.Heads / call.KvHeads), call.NumParts, AttentionThreads), arguments);
        if (call.NumParts > 1)
        {
            var reduce = KernelCatalog.PagedAttentionReduce.Arguments()
                .Address("part_acc", call.PartAcc).Address("part_ml", call.PartMl).Address("out", call.Out)
                .I32("tokens", call.Tokens).I32("heads", call.Heads).I32("head_dim", call.HeadDim).I32("num_parts", call.NumParts);
            Launch(stream, KernelCatalog.PagedAttentionReduce, new LaunchDims(call.Tokens, call.Heads, 1, AttentionReduceThreads), reduce);
        }
    }

    public void GatedActivation(CudaStreamHandle stream, GatedActivationCall call)
    {
        if (call.Tokens == 0)
        {
            return;
        }

        Require(call.Inter > 0 && !call.GateUp.IsNull && !call.Out.IsNull, KernelCatalog.GatedActivation, "inter > 0 and gate_up, out set");
        var arguments = KernelCatalog.GatedActivation.Arguments()
            .Address("gate_up", call.GateUp).Address("out", call.Out).I32("tokens", call.Tokens).I32("inter", call.Inter).I32("gelu", call.Gelu ? 1 : 0);
        Launch(stream, KernelCatalog.GatedActivation, StrideLaunch((long)call.Tokens * call.Inter), arguments);
    }

    public void LogitSoftcap(CudaStreamHandle stream, LogitSoftcapCall call)
    {
        if (call.Count == 0)
        {
            return;
        }

        Require(call.Cap > 0 && !call.Logits.IsNull, KernelCatalog.LogitSoftcap, "cap > 0 and logits set");
        var arguments = KernelCatalog.LogitSoftcap.Arguments().Address("logits", call.Logits).I64("count", call.Count).F32("cap", call.Cap);
        Launch(stream, KernelCatalog.LogitSoftcap, StrideLaunch(call.Count), arguments);
    }

    public void ApplyPenalties(CudaStreamHandle stream, ApplyPenaltiesCall call)
    {
        if (call.Rows == 0)
        {
            return;
        }

        Require(call.Vocab > 0 && !call.Logits.IsNull && !call.RowParams.IsNull && !call.Penalties.IsNull, KernelCatalog.ApplyPenalties, "vocab > 0 and logits, row_params, penalties set");
        var arguments = KernelCatalog.ApplyPenalties.Arguments()
            .Address("logits", call.Logits).Address("row_params", call.RowParams).Address("penalties", call.Penalties)
            .I32("rows", call.Rows).I32("vocab", call.Vocab);
        Launch(stream, KernelCatalog.ApplyPenalties, LaunchDims.Grid1D(call.Rows, RowThreads), arguments);
    }

    public void SampleRows(CudaStreamHandle stream, SampleRowsCall call)
    {
        if (call.Rows == 0)
        {
            return;
        }

        Require(
            call.Vocab > 0 && !call.Logits.IsNull && !call.Weights.IsNull && !call.RowParams.IsNull && !call.OutTokens.IsNull && !call.OutRecords.IsNull,
            KernelCatalog.SampleRows,
            "vocab > 0 and every buffer set");
        var arguments = KernelCatalog.SampleRows.Arguments()
            .Address("logits", call.Logits).Address("weights", call.Weights).Address("row_params", call.RowParams)
            .Address("out_tokens", call.OutTokens).Address("out_records", call.OutRecords).I32("rows", call.Rows).I32("vocab", call.Vocab);
        Launch(stream, KernelCatalog.SampleRows, LaunchDims.Grid1D(call.Rows, SampleThreads), arguments);
    }

    /// <summary>
    /// Whether <paramref name="product"/> suits gemv_bf16: one row (a batch-1 decode step; from two rows on, cuBLAS's
    /// time hardly grows while the kernel's would, as measured on an H200), k a multiple of 8, x and w 16-byte aligned.
    /// </summary>
    public static bool SuitsGemv(MatMul product) =>
        product.M == 1 && product.K % 8 == 0 && product.X.Address % 16 == 0 && product.W.Address % 16 == 0;

    /// <summary>Warps of gemv_bf16 sharing one output column: enough for about <see cref="GemvTargetWarps"/> warps in all, each with at least one 16-byte piece per lane.</summary>
    public static int GemvSplits(int n, int k)
    {
        int pieces = k / 8;
        int splits = 1;
        while (splits < GemvWarps && (long)n * splits < GemvTargetWarps && pieces / (splits * 2) >= 32)
        {
            splits *= 2;
        }

        return splits;
    }

    /// <summary>A batch-1 decode product by gemv_bf16; see <see cref="SuitsGemv"/>.</summary>
    public void Gemv(CudaStreamHandle stream, MatMul product)
    {
        product.Validate();
        Require(SuitsGemv(product), KernelCatalog.Gemv, "one row, k a multiple of 8, and 16-byte aligned x and w");
        int splits = GemvSplits(product.N, product.K);
        var arguments = KernelCatalog.Gemv.Arguments()
            .Address("x", product.X).Address("w", product.W).Address("y", product.Y)
            .I32("n", product.N).I32("k", product.K).I32("splits", splits).I32("out_bf16", product.Output == BlasElement.Bf16 ? 1 : 0);
        int columnsPerBlock = GemvWarps / splits;
        Launch(stream, KernelCatalog.Gemv, LaunchDims.Grid1D((product.N + columnsPerBlock - 1) / columnsPerBlock, GemvWarps * 32), arguments);
    }

    /// <summary>Blocks per KV head: the GQA group is split into runs of at most attention.cu's ATTN_MAX_GROUP heads.</summary>
    public static int AttentionGroupSplits(int group) => (group + AttentionMaxGroup - 1) / AttentionMaxGroup;

    private static LaunchDims StrideLaunch(long elements) =>
        LaunchDims.Grid1D((int)Math.Min(StrideBlocks, (elements + RowThreads - 1) / RowThreads), RowThreads);

    private static void Require(bool condition, KernelSignature kernel, string what)
    {
        if (!condition)
        {
            throw new ArgumentException($"{kernel.Name}: the call needs {what}.");
        }
    }

    private void Launch(CudaStreamHandle stream, KernelSignature signature, LaunchDims dims, KernelArguments arguments) =>
        cuda.Launch(module.Function(signature), dims, stream, arguments);
}
