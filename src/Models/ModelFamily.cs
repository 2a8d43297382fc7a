namespace LlmQueue.Models;

/// <summary>The decoder families the loader understands (one per Hugging Face modeling file).</summary>
public enum ModelFamily
{
    Llama,
    Qwen2,
    Qwen3,
    Gemma2,
    Gemma3,
}
