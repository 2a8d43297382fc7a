using LlmQueue.Gpu.Driver;

namespace LlmQueue.Gpu.Kernels;

// The inputs of each kernel launch, field for field the parameters in Kernels/*.cu (see those files for what
// each computes). Optional inputs are DevicePointer.Null.

/// <summary>hidden[t] = f32(table[ids[t]]) * scale.</summary>
public readonly record struct EmbedTokensCall(DevicePointer Table, DevicePointer Ids, DevicePointer Hidden, int Tokens, int Width, float Scale);

/// <summary>out[r] = bf16(rmsnorm(x[RowIndex ? RowIndex[r] : r]) * gain) (gain = 1 + w with AddOne).</summary>
public readonly record struct RmsNormCall(DevicePointer X, DevicePointer RowIndex, DevicePointer Gain, DevicePointer Out, int Rows, int Width, float Eps, bool AddOne);

/// <summary>hidden += norm?(delta + bias?); out = bf16(rmsnorm(hidden) * gain) when Gain is set.</summary>
public readonly record struct AddRmsNormCall(
    DevicePointer Hidden, DevicePointer Delta, DevicePointer DeltaBias, DevicePointer DeltaGain, DevicePointer Gain, DevicePointer Out,
    int Rows, int Width, float Eps, bool AddOne);

/// <summary>q/k bias, per-head norm and RoPE; q to QOut, k and v into their pages by slot mapping.</summary>
public readonly record struct RopeQkvStoreCall(
    DevicePointer Qkv, DevicePointer Bias, DevicePointer QGain, DevicePointer KGain, DevicePointer InverseFrequencies,
    DevicePointer Positions, DevicePointer SlotMapping, DevicePointer QOut, DevicePointer KvLayer, long PageStride,
    int Tokens, int Heads, int KvHeads, int HeadDim, int BlockTokens, float Eps, bool AddOne);

/// <summary>Paged attention of every token over its sequence's keys (see attention.cu); PartAcc/PartMl only when NumParts > 1.</summary>
public readonly record struct PagedAttentionCall(
    DevicePointer Q, DevicePointer KvLayer, long PageStride, DevicePointer BlockTable, int TableStride, DevicePointer TokenSeq,
    DevicePointer Positions, DevicePointer PartAcc, DevicePointer PartMl, DevicePointer Out, int Tokens, int Heads, int KvHeads,
    int HeadDim, int BlockTokens, int Window, float Scale, float Softcap, int MinPartTokens, int NumParts);

/// <summary>out[t, c] = bf16(act(gate_up[t, c]) * gate_up[t, inter + c]).</summary>
public readonly record struct GatedActivationCall(DevicePointer GateUp, DevicePointer Out, int Tokens, int Inter, bool Gelu);

/// <summary>logits = tanh(logits / cap) * cap.</summary>
public readonly record struct LogitSoftcapCall(DevicePointer Logits, long Count, float Cap);

/// <summary>Each row's penalties (repetition, frequency, presence) on its logits row, from the row's (token, output count) entries.</summary>
public readonly record struct ApplyPenaltiesCall(DevicePointer Logits, DevicePointer RowParams, DevicePointer Penalties, int Rows, int Vocab);

/// <summary>One token per logits row (and the logprobs a row asks for); Weights is [rows][vocab] f32 scratch.</summary>
public readonly record struct SampleRowsCall(DevicePointer Logits, DevicePointer Weights, DevicePointer RowParams, DevicePointer OutTokens, DevicePointer OutRecords, int Rows, int Vocab);
