#include "common.cuh"

#define GEMV_MAX_ROWS 4  // activation rows one launch multiplies (decode batches up to this); KernelLauncher.GemvMaxRows
#define GEMV_WARPS 8     // output columns per block, one warp each
#define GEMV_IN_FLIGHT 8 // 16-byte weight loads each lane issues before using any

// y[m][n] = sum_k x[m][k] w[n][k] for m < rows <= GEMV_MAX_ROWS: the decode-time matrix product, bound by reading
// w once. One warp per output column n: its lanes read w's row n in 16-byte pieces, GEMV_IN_FLIGHT at a time (a
// batch-1 step is otherwise latency-bound, as cuBLAS's general kernels are at these shapes), multiply each piece
// with every activation row (small: read through the cache), and sum across the warp. x, w 16-byte aligned,
// k a multiple of 8. y is f32, or bf16 when out_bf16. Grid ceil(n / GEMV_WARPS), GEMV_WARPS * 32 threads.
extern "C" __global__ void __launch_bounds__(GEMV_WARPS * 32) gemv_bf16(
    const bf16_t* __restrict__ x, const bf16_t* __restrict__ w, void* __restrict__ y, int rows, int n, int k, int out_bf16)
{
    const int column = blockIdx.x * GEMV_WARPS + (threadIdx.x >> 5);
    const int lane = threadIdx.x & 31;
    if (column >= n)
    {
        return; // a whole warp: only warp shuffles follow
    }

    const uint4* weights = reinterpret_cast<const uint4*>(w + (long long)column * k);
    const int pieces = k >> 3;
    float acc[GEMV_MAX_ROWS];
#pragma unroll
    for (int m = 0; m < GEMV_MAX_ROWS; m++)
    {
        acc[m] = 0.0f;
    }

    for (int base = lane; base < pieces; base += 32 * GEMV_IN_FLIGHT)
    {
        uint4 raw[GEMV_IN_FLIGHT];
#pragma unroll
        for (int r = 0; r < GEMV_IN_FLIGHT; r++)
        {
            const int piece = base + r * 32;
            raw[r] = piece < pieces ? weights[piece] : make_uint4(0u, 0u, 0u, 0u);
        }
#pragma unroll
        for (int r = 0; r < GEMV_IN_FLIGHT; r++)
        {
            const int piece = base + r * 32;
            if (piece < pieces)
            {
                float wv[8];
                unpack_bf16x8(raw[r], wv);
#pragma unroll
                for (int m = 0; m < GEMV_MAX_ROWS; m++)
                {
                    if (m < rows)
                    {
                        float xv[8];
                        unpack_bf16x8(reinterpret_cast<const uint4*>(x + (long long)m * k)[piece], xv);
#pragma unroll
                        for (int i = 0; i < 8; i++)
                        {
                            acc[m] += wv[i] * xv[i];
                        }
                    }
                }
            }
        }
    }

#pragma unroll
    for (int m = 0; m < GEMV_MAX_ROWS; m++)
    {
        if (m < rows)
        {
            const float total = warp_sum(acc[m]);
            if (lane == 0)
            {
                if (out_bf16)
                {
                    reinterpret_cast<bf16_t*>(y)[(long long)m * n + column] = f32_to_bf16(total);
                }
                else
                {
                    reinterpret_cast<float*>(y)[(long long)m * n + column] = total;
                }
            }
        }
    }
}
