#include "common.cuh"

#define ROPE_WARPS 4
#define ROPE_MAX_HEAD_DIM 256

// The projections' f32 output [tokens, (heads + 2 kv_heads) * head_dim] (q | k | v) becomes:
//   q: (+ bias) -> per-head RMSNorm (optional) -> rotate_half RoPE -> bf16 q_out [tokens, heads * head_dim];
//   k: (+ bias) -> per-head RMSNorm (optional) -> RoPE -> bf16 into its KV page; v: (+ bias) -> bf16 into its page.
// A token's page and slot come from slot_mapping (page * block_tokens + slot; -1 = padding, nothing written).
// Inside one layer's block of a page, K is [kv_heads][block_tokens][head_dim] and V follows in the same shape;
// kv_layer points at the layer's block in page 0 and page_stride is the elements between pages of its type.
// Grid (tokens, ceil((heads + kv_heads) / ROPE_WARPS)), ROPE_WARPS warps; one warp per q head or kv head.
extern "C" __global__ void __launch_bounds__(ROPE_WARPS * 32) rope_qkv_store(
    const float* __restrict__ qkv, const float* __restrict__ bias, const float* __restrict__ q_gain,
    const float* __restrict__ k_gain, const float* __restrict__ inv_freq, const int* __restrict__ positions,
    const int* __restrict__ slot_mapping, bf16_t* __restrict__ q_out, bf16_t* __restrict__ kv_layer, long long page_stride,
    int tokens, int heads, int kv_heads, int head_dim, int block_tokens, float eps, int add_one)
{
    __shared__ float rows[ROPE_WARPS][ROPE_MAX_HEAD_DIM];
    const int t = blockIdx.x;
    const int warp = threadIdx.x >> 5;
    const int lane = threadIdx.x & 31;
    const int unit = blockIdx.y * ROPE_WARPS + warp;
    if (t >= tokens || unit >= heads + kv_heads)
    {
        return; // only warp-level synchronisation follows
    }

    const bool is_query = unit < heads;
    const int kv_head = unit - heads;
    const int column = unit * head_dim; // k heads follow the q heads
    const long long row_offset = (long long)t * (heads + 2 * kv_heads) * head_dim;
    const float* source = qkv + row_offset + column;
    const float* gain = is_query ? q_gain : k_gain;
    float* row = rows[warp];

    float squares = 0.0f;
    for (int i = lane; i < head_dim; i += 32)
    {
        const float v = bias ? source[i] + bias[column + i] : source[i];
        row[i] = v;
        squares += v * v;
    }

    if (gain)
    {
        const float inverse = rsqrtf(warp_sum(squares) / head_dim + eps);
        for (int i = lane; i < head_dim; i += 32)
        {
            row[i] = row[i] * inverse * gain_of(gain, i, add_one);
        }
    }
    __syncwarp();

    const int slot = slot_mapping[t];
    bf16_t* key_target = 0;
    if (!is_query)
    {
        if (slot < 0)
        {
            return;
        }
        key_target = kv_layer + (long long)(slot / block_tokens) * page_stride
            + ((long long)kv_head * block_tokens + slot % block_tokens) * head_dim;
    }

    bf16_t* target = is_query ? q_out + (long long)t * heads * head_dim + column : key_target;
    const float position = (float)positions[t];
    const int half = head_dim / 2;
    for (int i = lane; i < half; i += 32)
    {
        // The angle rounds to f32 as the reference computes it; its reduction to [-pi, pi] is done in f64, so the
        // fast sine needs no slow path (sincosf's large-argument path puts an array in local memory).
        const double angle = (double)(position * inv_freq[i]);
        const float reduced = (float)(angle - rint(angle * 0.15915494309189535) * 6.283185307179586);
        float sine, cosine;
        __sincosf(reduced, &sine, &cosine);
        const float x1 = row[i];
        const float x2 = row[i + half];
        target[i] = f32_to_bf16(x1 * cosine - x2 * sine);
        target[i + half] = f32_to_bf16(x2 * cosine + x1 * sine);
    }

    if (!is_query)
    {
        const int value_column = (heads + kv_heads + kv_head) * head_dim;
        const float* value = qkv + row_offset + value_column;
        bf16_t* value_target = key_target + (long long)kv_heads * block_tokens * head_dim;
        for (int i = lane; i < head_dim; i += 32)
        {
            value_target[i] = f32_to_bf16(bias ? value[i] + bias[value_column + i] : value[i]);
        }
    }
}
