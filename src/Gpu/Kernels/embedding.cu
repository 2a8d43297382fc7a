#include "common.cuh"

// hidden[t, :] = f32(table[ids[t], :]) * scale. One block per token.
extern "C" __global__ void embed_tokens(
    const bf16_t* __restrict__ table, const int* __restrict__ ids, float* __restrict__ hidden,
    int tokens, int width, float scale)
{
    const int t = blockIdx.x;
    if (t >= tokens)
    {
        return;
    }

    const bf16_t* row = table + (long long)ids[t] * width;
    float* out = hidden + (long long)t * width;
    for (int i = threadIdx.x; i < width; i += blockDim.x)
    {
        out[i] = bf16_to_f32(row[i]) * scale;
    }
}
