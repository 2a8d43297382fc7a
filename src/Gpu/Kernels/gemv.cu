#include "common.cuh"

#define GEMV_WARPS 8     // warps per block; KernelLauncher.GemvWarps
#define GEMV_IN_FLIGHT 8 // 16-byte weight loads each lane issues before using any

// y[n] = sum_k x[k] w[n][k]: the batch-1 decode product, bound by reading w once. splits (1, 2, 4 or 8) warps share
// one output column, each over its contiguous share of k, so a narrow product still has enough warps streaming
// weights; a warp's lanes read their share of w's row in 16-byte pieces, GEMV_IN_FLIGHT at a time (the step is
// otherwise latency-bound), multiply each piece with x (small: read through the cache) and sum across the warp; the
// column's warps meet in shared memory. x, w 16-byte aligned, k a multiple of 8. y is f32, or bf16 when out_bf16.
// Grid ceil(n / (GEMV_WARPS / splits)), GEMV_WARPS * 32 threads.
extern "C" __global__ void __launch_bounds__(GEMV_WARPS * 32) gemv_bf16(
    const bf16_t* __restrict__ x, const bf16_t* __restrict__ w, void* __restrict__ y, int n, int k, int splits, int out_bf16)
{
    __shared__ float s_sum[GEMV_WARPS];
    const int warp = threadIdx.x >> 5;
    const int lane = threadIdx.x & 31;
    const int column = blockIdx.x * (GEMV_WARPS / splits) + warp / splits;
    const int pieces = k >> 3;
    const int share = (pieces + splits - 1) / splits;
    const int first = (warp % splits) * share;
    const int last = min(pieces, first + share);

    float acc = 0.0f;
    if (column < n)
    {
        const uint4* weights = reinterpret_cast<const uint4*>(w + (long long)column * k);
        const uint4* xs = reinterpret_cast<const uint4*>(x);
        for (int base = first + lane; base < last; base += 32 * GEMV_IN_FLIGHT)
        {
            uint4 raw[GEMV_IN_FLIGHT];
#pragma unroll
            for (int r = 0; r < GEMV_IN_FLIGHT; r++)
            {
                const int piece = base + r * 32;
                raw[r] = piece < last ? weights[piece] : make_uint4(0u, 0u, 0u, 0u);
            }
#pragma unroll
            for (int r = 0; r < GEMV_IN_FLIGHT; r++)
            {
                const int piece = base + r * 32;
                if (piece < last)
                {
                    float wv[8];
                    float xv[8];
                    unpack_bf16x8(raw[r], wv);
                    unpack_bf16x8(xs[piece], xv);
#pragma unroll
                    for (int i = 0; i < 8; i++)
                    {
                        acc += wv[i] * xv[i];
                    }
                }
            }
        }
    }

    acc = warp_sum(acc);
    if (lane == 0)
    {
        s_sum[warp] = acc;
    }
    __syncthreads();
    if (lane == 0 && warp % splits == 0 && column < n)
    {
        float total = 0.0f;
        for (int p = 0; p < splits; p++)
        {
            total += s_sum[warp + p];
        }
        if (out_bf16)
        {
            reinterpret_cast<bf16_t*>(y)[column] = f32_to_bf16(total);
        }
        else
        {
            reinterpret_cast<float*>(y)[column] = total;
        }
    }
}
