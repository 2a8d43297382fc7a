namespace LlmQueue.Gpu.Planning;

/// <summary>Names of the device tensors in a <see cref="WeightUploadPlan"/>.</summary>
public static class WeightNames
{
    public const string Embedding = "embed_tokens";
    public const string FinalNorm = "final_norm";
    public const string LmHead = "lm_head";

    public static string Qkv(int layer) => $"layers.{layer}.qkv";

    public static string O(int layer) => $"layers.{layer}.o";

    public static string GateUp(int layer) => $"layers.{layer}.gate_up";

    public static string Down(int layer) => $"layers.{layer}.down";

    public static string QkvBias(int layer) => $"layers.{layer}.qkv_bias";

    public static string OBias(int layer) => $"layers.{layer}.o_bias";

    public static string QNorm(int layer) => $"layers.{layer}.q_norm";

    public static string KNorm(int layer) => $"layers.{layer}.k_norm";

    public static string AttentionInputNorm(int layer) => $"layers.{layer}.attention_input_norm";

    public static string AttentionOutputNorm(int layer) => $"layers.{layer}.attention_output_norm";

    public static string MlpInputNorm(int layer) => $"layers.{layer}.mlp_input_norm";

    public static string MlpOutputNorm(int layer) => $"layers.{layer}.mlp_output_norm";
}
