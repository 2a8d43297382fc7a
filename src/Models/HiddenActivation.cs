namespace LlmQueue.Models;

/// <summary>The gate activation of the gated MLP: down(act(gate(x)) * up(x)).</summary>
public enum HiddenActivation
{
    /// <summary>x * sigmoid(x) (Hugging Face "silu").</summary>
    Silu,

    /// <summary>The tanh approximation of GELU (Hugging Face "gelu_pytorch_tanh").</summary>
    GeluTanh,
}
