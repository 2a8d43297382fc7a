namespace LlmQueue.Models;

/// <summary>What a layer attends to (Hugging Face layer_types).</summary>
public enum AttentionKind
{
    /// <summary>"full_attention": every earlier position.</summary>
    Full,

    /// <summary>"sliding_attention": the last sliding_window positions, itself included.</summary>
    Sliding,
}
