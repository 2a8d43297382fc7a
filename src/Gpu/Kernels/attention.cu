#include "common.cuh"

#define ATTN_WARPS 4
#define ATTN_THREADS (ATTN_WARPS * 32)
#define ATTN_MAX_GROUP 4 // query heads of one GQA group a block handles (KernelLauncher.AttentionMaxGroup)
#define ATTN_CHUNK 512   // keys scored at a time (shared memory); longer ranges rescale a running softmax
#define ATTN_IN_FLIGHT 4 // key (or value) rows each lane loads before using any: decode is bound by bytes in flight
#define ATTN_MAX_PARTS 256 // partitions the reduce combines (AttentionPartitioning.MaxPartsPerToken)
#define ATTN_REDUCE_THREADS 512
#ifndef ATTN_MIN_BLOCKS
#define ATTN_MIN_BLOCKS 4 // blocks per SM the register budget must allow (65536 / (4 x 128) = 128 registers)
#endif

// This lane's 8 dimensions (16 raw bytes) of key or value rows chunk + j + r * stride, r < ATTN_IN_FLIGHT, every
// load issued before any is used; a row at or past n is not read (zeros).
template <int HD>
__device__ __forceinline__ void load_rows(
    const bf16_t* head_rows, const int* table, long long page_stride, int block_tokens, int chunk, int j, int stride, int n,
    uint4 (&rows)[ATTN_IN_FLIGHT])
{
#pragma unroll
    for (int r = 0; r < ATTN_IN_FLIGHT; r++)
    {
        const int row = j + r * stride;
        rows[r] = make_uint4(0u, 0u, 0u, 0u);
        if (row < n)
        {
            const int key = chunk + row;
            rows[r] = *reinterpret_cast<const uint4*>(
                head_rows + (long long)table[key / block_tokens] * page_stride + (long long)(key % block_tokens) * HD);
        }
    }
}

// One key row's scores for every head of the group: a dot product over the LANES lanes sharing the row (8
// dimensions each), scaled and softcapped, into s_scores[g][j]. Every lane of the warp takes part in the shuffles.
template <int LANES, int HD>
__device__ __forceinline__ void score_row(
    uint4 raw, bool valid, int j, int dim0, int count, float scale, float softcap,
    const float (*s_query)[HD], float (*s_scores)[ATTN_CHUNK])
{
    float key[8];
    unpack_bf16x8(raw, key);
#pragma unroll
    for (int g = 0; g < ATTN_MAX_GROUP; g++)
    {
        if (g < count)
        {
            float dot = 0.0f;
#pragma unroll
            for (int i = 0; i < 8; i++)
            {
                dot += key[i] * s_query[g][dim0 + i];
            }
#pragma unroll
            for (int offset = LANES / 2; offset > 0; offset >>= 1)
            {
                dot += __shfl_xor_sync(FULL_MASK, dot, offset);
            }
            if (valid && dim0 == 0)
            {
                float s = dot * scale;
                if (softcap > 0.0f)
                {
                    s = tanhf(s / softcap) * softcap;
                }
                s_scores[g][j] = s;
            }
        }
    }
}

// acc[g][i] += weight of row j for head g x value[i].
__device__ __forceinline__ void accumulate_row(uint4 raw, int j, int count, const float (*s_scores)[ATTN_CHUNK], float (*acc)[8])
{
    float value[8];
    unpack_bf16x8(raw, value);
#pragma unroll
    for (int g = 0; g < ATTN_MAX_GROUP; g++)
    {
        if (g < count)
        {
            const float w = s_scores[g][j];
#pragma unroll
            for (int i = 0; i < 8; i++)
            {
                acc[g][i] += w * value[i];
            }
        }
    }
}

// Paged attention for decode and chunked prefill. Query token t (position positions[t] of sequence token_seq[t])
// attends to keys [first, positions[t]] of its sequence, first = positions[t] + 1 - window for a sliding layer
// (window > 0), else 0. Key j lives in page block_table[seq * table_stride + j / block_tokens], slot
// j % block_tokens; blocks before first are never read (a sliding type's released blocks hold -1). Scores are
// q.k * scale, then tanh(s / softcap) * softcap when softcap > 0, then a softmax in f32.
//
// Grid (tokens, kv_heads * ceil(group / ATTN_MAX_GROUP), num_parts): a block takes up to ATTN_MAX_GROUP query
// heads sharing one KV head (each key and value row is read once for the whole group) over one partition of the
// token's key range: partition z spans len = max(min_part_tokens, ceil(span / num_parts)) keys from first + z * len
// (so the launch shape does not depend on the context lengths, and graphs can be replayed as they grow). Within a
// partition keys go ATTN_CHUNK at a time with a running max and sum. With num_parts == 1 the block writes bf16 out
// [tokens, heads, HD] directly; else partition z writes its unnormalised sum to part_acc [tokens, heads, num_parts,
// HD] and (max, sum of exp) to part_ml [tokens, heads, num_parts, 2], and paged_attention_reduce combines them.
// A token with a negative position is padding: its output is zero.
template <int HD>
__device__ __forceinline__ void paged_attention(
    const bf16_t* __restrict__ q, const bf16_t* __restrict__ kv_layer, long long page_stride,
    const int* __restrict__ block_table, int table_stride, const int* __restrict__ token_seq,
    const int* __restrict__ positions, float* __restrict__ part_acc, float* __restrict__ part_ml,
    bf16_t* __restrict__ out, int tokens, int heads, int kv_heads, int block_tokens, int window, float scale,
    float softcap, int min_part_tokens, int num_parts)
{
    constexpr int LANES = HD / 8;    // lanes sharing one key row, 8 dimensions (16 bytes) each
    constexpr int ROWS = 32 / LANES; // key rows one warp covers per load
    constexpr int STRIDE = ATTN_WARPS * ROWS; // rows the whole block covers per load
    __shared__ float s_query[ATTN_MAX_GROUP][HD];
    __shared__ float s_scores[ATTN_MAX_GROUP][ATTN_CHUNK];
    __shared__ float s_max[ATTN_MAX_GROUP];
    __shared__ float s_sum[ATTN_MAX_GROUP];
    __shared__ float s_rescale[ATTN_MAX_GROUP];
    __shared__ float s_out[ATTN_MAX_GROUP][HD];

    const int t = blockIdx.x;
    if (t >= tokens)
    {
        return;
    }

    const int group = heads / kv_heads;
    const int splits = (group + ATTN_MAX_GROUP - 1) / ATTN_MAX_GROUP;
    const int kv_head = blockIdx.y / splits;
    const int first_head = kv_head * group + (blockIdx.y % splits) * ATTN_MAX_GROUP;
    const int count = min(ATTN_MAX_GROUP, kv_head * group + group - first_head);
    const int warp = threadIdx.x >> 5;
    const int lane = threadIdx.x & 31;
    const int row_in_warp = lane / LANES;
    const int dim0 = (lane % LANES) * 8;

    const int position = positions[t];
    const int context = position + 1;
    const int first = window > 0 ? max(0, context - window) : 0;
    const int span = max(0, context - first);
    const int part_len = max(min_part_tokens, (span + num_parts - 1) / num_parts);
    const int start = min(context, first + (int)blockIdx.z * part_len);
    const int end = position < 0 ? start : min(start + part_len, context);
    const int* table = block_table + (long long)token_seq[t] * table_stride;
    const bf16_t* head_keys = kv_layer + (long long)kv_head * block_tokens * HD + dim0;
    const bf16_t* head_values = head_keys + (long long)kv_heads * block_tokens * HD;

    for (int i = threadIdx.x; i < count * HD; i += ATTN_THREADS)
    {
        const int g = i / HD;
        s_query[g][i % HD] = bf16_to_f32(q[((long long)t * heads + first_head + g) * HD + i % HD]);
    }
    if (threadIdx.x < ATTN_MAX_GROUP)
    {
        s_max[threadIdx.x] = NEG_INFINITY;
        s_sum[threadIdx.x] = 0.0f;
    }

    float acc[ATTN_MAX_GROUP][8];
#pragma unroll
    for (int g = 0; g < ATTN_MAX_GROUP; g++)
    {
#pragma unroll
        for (int i = 0; i < 8; i++)
        {
            acc[g][i] = 0.0f;
        }
    }
    __syncthreads();

    for (int chunk = start; chunk < end; chunk += ATTN_CHUNK)
    {
        const int n = min(ATTN_CHUNK, end - chunk);

        // Scores: each lane group loads ATTN_IN_FLIGHT key rows with 16-byte loads, then dots each with every head of
        // the group. j0 is the same for the whole warp, so every lane reaches the shuffles.
        for (int j0 = warp * ROWS; j0 < n; j0 += ATTN_IN_FLIGHT * STRIDE)
        {
            const int j = j0 + row_in_warp;
            uint4 keys[ATTN_IN_FLIGHT];
            load_rows<HD>(head_keys, table, page_stride, block_tokens, chunk, j, STRIDE, n, keys);
#pragma unroll
            for (int r = 0; r < ATTN_IN_FLIGHT; r++)
            {
                score_row<LANES, HD>(keys[r], j + r * STRIDE < n, j + r * STRIDE, dim0, count, scale, softcap, s_query, s_scores);
            }
        }
        __syncthreads();

        // Softmax numerators in place against the running maximum; one warp per head.
        for (int g = warp; g < count; g += ATTN_WARPS)
        {
            float m = s_max[g];
            for (int j = lane; j < n; j += 32)
            {
                m = fmaxf(m, s_scores[g][j]);
            }
            m = warp_max(m);
            float l = 0.0f;
            for (int j = lane; j < n; j += 32)
            {
                const float e = expf(s_scores[g][j] - m);
                s_scores[g][j] = e;
                l += e;
            }
            l = warp_sum(l);
            __syncwarp();
            if (lane == 0)
            {
                const float rescale = expf(s_max[g] - m);
                s_rescale[g] = rescale;
                s_sum[g] = s_sum[g] * rescale + l;
                s_max[g] = m;
            }
        }
        __syncthreads();

        // Weighted values, each lane group over its rows of the chunk.
#pragma unroll
        for (int g = 0; g < ATTN_MAX_GROUP; g++)
        {
            if (g < count)
            {
                const float rescale = s_rescale[g];
#pragma unroll
                for (int i = 0; i < 8; i++)
                {
                    acc[g][i] *= rescale;
                }
            }
        }
        for (int j0 = warp * ROWS; j0 < n; j0 += ATTN_IN_FLIGHT * STRIDE)
        {
            const int j = j0 + row_in_warp;
            uint4 values[ATTN_IN_FLIGHT];
            load_rows<HD>(head_values, table, page_stride, block_tokens, chunk, j, STRIDE, n, values);
#pragma unroll
            for (int r = 0; r < ATTN_IN_FLIGHT; r++)
            {
                if (j + r * STRIDE < n)
                {
                    accumulate_row(values[r], j + r * STRIDE, count, s_scores, acc);
                }
            }
        }
        __syncthreads(); // the next chunk overwrites s_scores and s_rescale
    }

    // Partial sums meet across a warp by shuffles, then across warps in a fixed order (no atomics, so results
    // are reproducible run to run).
#pragma unroll
    for (int g = 0; g < ATTN_MAX_GROUP; g++)
    {
#pragma unroll
        for (int i = 0; i < 8; i++)
        {
#pragma unroll
            for (int offset = LANES; offset < 32; offset <<= 1)
            {
                acc[g][i] += __shfl_xor_sync(FULL_MASK, acc[g][i], offset);
            }
        }
    }
    for (int w = 0; w < ATTN_WARPS; w++)
    {
        if (warp == w && row_in_warp == 0)
        {
#pragma unroll
            for (int g = 0; g < ATTN_MAX_GROUP; g++)
            {
                if (g < count)
                {
#pragma unroll
                    for (int i = 0; i < 8; i++)
                    {
                        s_out[g][dim0 + i] = w == 0 ? acc[g][i] : s_out[g][dim0 + i] + acc[g][i];
                    }
                }
            }
        }
        __syncthreads();
    }

    const bool empty = end <= start;
    for (int i = threadIdx.x; i < count * HD; i += ATTN_THREADS)
    {
        const int g = i / HD;
        const int d = i % HD;
        const long long head_row = (long long)t * heads + first_head + g;
        if (num_parts == 1)
        {
            out[head_row * HD + d] = f32_to_bf16(empty ? 0.0f : s_out[g][d] * (1.0f / s_sum[g]));
        }
        else
        {
            const long long part_row = head_row * num_parts + blockIdx.z;
            part_acc[part_row * HD + d] = empty ? 0.0f : s_out[g][d];
            if (d == 0)
            {
                part_ml[part_row * 2] = empty ? NEG_INFINITY : s_max[g];
                part_ml[part_row * 2 + 1] = empty ? 0.0f : s_sum[g];
            }
        }
    }
}

#define PAGED_ATTENTION_ENTRY(HD)                                                                                   \
    extern "C" __global__ void __launch_bounds__(ATTN_THREADS, ATTN_MIN_BLOCKS) paged_attention_hd##HD(                            \
        const bf16_t* __restrict__ q, const bf16_t* __restrict__ kv_layer, long long page_stride,                 \
        const int* __restrict__ block_table, int table_stride, const int* __restrict__ token_seq,                  \
        const int* __restrict__ positions, float* __restrict__ part_acc, float* __restrict__ part_ml,             \
        bf16_t* __restrict__ out, int tokens, int heads, int kv_heads, int block_tokens, int window, float scale, \
        float softcap, int min_part_tokens, int num_parts)                                                         \
    {                                                                                                              \
        paged_attention<HD>(q, kv_layer, page_stride, block_table, table_stride, token_seq, positions, part_acc,   \
            part_ml, out, tokens, heads, kv_heads, block_tokens, window, scale, softcap, min_part_tokens, num_parts); \
    }

PAGED_ATTENTION_ENTRY(16)
PAGED_ATTENTION_ENTRY(32)
PAGED_ATTENTION_ENTRY(64)
PAGED_ATTENTION_ENTRY(128)
PAGED_ATTENTION_ENTRY(256)

// Combines the partitions of paged_attention: out = sum_p acc_p e^(m_p - M) / sum_p l_p e^(m_p - M), M the
// largest partition maximum. Empty partitions (l = 0) add nothing; a token with none is written as zeros.
// Grid (tokens, heads), ATTN_REDUCE_THREADS threads; num_parts <= ATTN_MAX_PARTS, head_dim <= ATTN_REDUCE_THREADS.
// Thread p weighs partition p; then ATTN_REDUCE_THREADS / head_dim slices of threads each sum every slices-th
// partition of one dimension (independent loads, many in flight), up to the last partition holding keys (a short
// context fills only the first few), and the slices meet in shared memory.
extern "C" __global__ void __launch_bounds__(ATTN_REDUCE_THREADS) paged_attention_reduce(
    const float* __restrict__ part_acc, const float* __restrict__ part_ml, bf16_t* __restrict__ out,
    int tokens, int heads, int head_dim, int num_parts)
{
    __shared__ float s_weight[ATTN_MAX_PARTS];
    __shared__ float s_partial[ATTN_REDUCE_THREADS];
    __shared__ float s_scratch[32];
    const int t = blockIdx.x;
    const int h = blockIdx.y;
    if (t >= tokens || h >= heads)
    {
        return; // the whole block
    }

    const long long head_row = (long long)t * heads + h;
    const float* ml = part_ml + head_row * num_parts * 2;
    const int p = threadIdx.x;
    const bool live = p < num_parts && ml[2 * p + 1] > 0.0f;
    const float m_p = live ? ml[2 * p] : NEG_INFINITY;
    const float m = block_max(m_p, s_scratch);
    const float w = live ? expf(m_p - m) : 0.0f;
    const float total = block_sum(live ? ml[2 * p + 1] * w : 0.0f, s_scratch);
    const int used = (int)block_max(live ? (float)(p + 1) : 0.0f, s_scratch);
    if (p < num_parts)
    {
        s_weight[p] = w;
    }
    __syncthreads();

    const int slices = ATTN_REDUCE_THREADS / head_dim;
    const int d = threadIdx.x % head_dim;
    const int slice = threadIdx.x / head_dim;
    const float* acc = part_acc + head_row * num_parts * head_dim + d;
    float sum = 0.0f;
    if (slice < slices)
    {
#pragma unroll 8
        for (int q = slice; q < used; q += slices)
        {
            sum += acc[(long long)q * head_dim] * s_weight[q];
        }
    }
    s_partial[threadIdx.x] = sum;
    __syncthreads();

    if (threadIdx.x < head_dim)
    {
        float combined = 0.0f;
        for (int k = 0; k < slices; k++)
        {
            combined += s_partial[k * head_dim + threadIdx.x];
        }
        out[head_row * head_dim + threadIdx.x] = f32_to_bf16(total > 0.0f ? combined * (1.0f / total) : 0.0f);
    }
}
