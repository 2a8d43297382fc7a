#include "common.cuh"

// out[t, c] = bf16(act(gate) * up) over gate_up [tokens, 2 * inter] (gate columns, then up columns).
// act = SiLU (gelu == 0) or PyTorch's tanh-approximated GELU (gelu != 0). Grid-stride over tokens * inter.
extern "C" __global__ void gated_activation(
    const float* __restrict__ gate_up, bf16_t* __restrict__ out, int tokens, int inter, int gelu)
{
    const long long total = (long long)tokens * inter;
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < total; i += (long long)gridDim.x * blockDim.x)
    {
        const long long t = i / inter;
        const long long c = i - t * inter;
        const float g = gate_up[t * 2 * inter + c];
        const float u = gate_up[t * 2 * inter + inter + c];
        float y;
        if (gelu)
        {
            float inner = g * g * g;
            inner = inner * 0.044715f + g;
            inner = tanhf(inner * 0.7978845608028654f);
            y = (inner + 1.0f) * g * 0.5f * u;
        }
        else
        {
            y = g * u * (1.0f / (1.0f + expf(-g)));
        }
        out[i] = f32_to_bf16(y);
    }
}

// logits = tanh(logits / cap) * cap in place (Gemma 2's final_logit_softcapping). Grid-stride.
extern "C" __global__ void logit_softcap(float* __restrict__ logits, long long count, float cap)
{
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < count; i += (long long)gridDim.x * blockDim.x)
    {
        logits[i] = tanhf(logits[i] / cap) * cap;
    }
}
