#include "common.cuh"

// Row loops are unrolled: a row has few elements per thread, and their loads must be in flight together.

// out[r, :] = bf16(x[src, :] * rsqrt(mean(x[src, :]^2) + eps) * g), src = rows ? rows[r] : r, g = gain or 1 + gain.
// One block per output row. rows lets the final norm pick only the tokens that need logits.
extern "C" __global__ void rms_norm(
    const float* __restrict__ x, const int* __restrict__ rows, const float* __restrict__ gain, bf16_t* __restrict__ out,
    int n_rows, int width, float eps, int add_one)
{
    __shared__ float scratch[32];
    const int r = blockIdx.x;
    if (r >= n_rows)
    {
        return;
    }

    const float* row = x + (long long)(rows ? rows[r] : r) * width;
    float squares = 0.0f;
#pragma unroll 8
    for (int i = threadIdx.x; i < width; i += blockDim.x)
    {
        squares += row[i] * row[i];
    }

    const float inverse = rsqrtf(block_sum(squares, scratch) / width + eps);
    bf16_t* target = out + (long long)r * width;
#pragma unroll 8
    for (int i = threadIdx.x; i < width; i += blockDim.x)
    {
        target[i] = f32_to_bf16(row[i] * inverse * gain_of(gain, i, add_one));
    }
}

// The residual add between sub-blocks, fused with the norms around it. Per row:
//   d = delta + delta_bias (bias optional); d = rmsnorm(d) * delta_gain when delta_gain is set (sandwich norms);
//   hidden += d; out = bf16(rmsnorm(hidden) * gain) when gain is set (the next sub-block's input norm).
extern "C" __global__ void add_rms_norm(
    float* __restrict__ hidden, const float* __restrict__ delta, const float* __restrict__ delta_bias,
    const float* __restrict__ delta_gain, const float* __restrict__ gain, bf16_t* __restrict__ out,
    int n_rows, int width, float eps, int add_one)
{
    __shared__ float scratch[32];
    const int r = blockIdx.x;
    if (r >= n_rows)
    {
        return;
    }

    float* h = hidden + (long long)r * width;
    const float* d = delta + (long long)r * width;
    float delta_inverse = 1.0f;
    if (delta_gain)
    {
        float squares = 0.0f;
#pragma unroll 8
        for (int i = threadIdx.x; i < width; i += blockDim.x)
        {
            const float v = delta_bias ? d[i] + delta_bias[i] : d[i];
            squares += v * v;
        }
        delta_inverse = rsqrtf(block_sum(squares, scratch) / width + eps);
    }

    float squares = 0.0f;
#pragma unroll 8
    for (int i = threadIdx.x; i < width; i += blockDim.x)
    {
        float v = delta_bias ? d[i] + delta_bias[i] : d[i];
        if (delta_gain)
        {
            v = v * delta_inverse * gain_of(delta_gain, i, add_one);
        }
        const float sum = h[i] + v;
        h[i] = sum;
        squares += sum * sum;
    }

    if (!gain)
    {
        return;
    }

    // Each thread reads back only the elements it wrote itself, so no barrier is needed before the reads.
    const float inverse = rsqrtf(block_sum(squares, scratch) / width + eps);
    bf16_t* target = out + (long long)r * width;
#pragma unroll 8
    for (int i = threadIdx.x; i < width; i += blockDim.x)
    {
        target[i] = f32_to_bf16(h[i] * inverse * gain_of(gain, i, add_one));
    }
}
