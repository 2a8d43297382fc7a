namespace LlmQueue.Gpu.Tests;

/// <summary>Synthetic checkpoints written once per test run into a shared temp folder (the writer is idempotent per spec).</summary>
internal static class TestModels
{
    private static readonly string Cache = Path.Combine(Path.GetTempPath(), "llmq-gpu-tests");

    public static LlamaModel Load(SyntheticModelSpec spec, string name) =>
        LlamaModel.Load(SyntheticModel.EnsureWritten(Cache, spec, name));
}
