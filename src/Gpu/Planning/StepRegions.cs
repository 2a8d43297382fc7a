namespace LlmQueue.Gpu.Planning;

/// <summary>Region names of a <see cref="StepWorkspace"/>.</summary>
internal static class StepRegions
{
    public const string Inputs = "inputs";
    public const string Hidden = "hidden";
    public const string Normed = "normed";
    public const string Qkv = "qkv";
    public const string Queries = "queries";
    public const string Attention = "attention";
    public const string Projected = "projected";
    public const string GateUp = "gate_up";
    public const string Activated = "activated";
    public const string Logits = "logits";
    public const string PartialAcc = "partial_acc";
    public const string PartialMaxSum = "partial_max_sum";

    public static string Rope(int index) => $"rope.{index}";
}
