// Shared helpers for every kernel. No toolkit headers: NVRTC declares the built-in variables, math functions and
// warp intrinsics itself, and bf16 is handled as raw 16-bit words so the same source compiles with NVRTC 11.8
// (CI, no GPU) and newer NVRTCs (the GPU machine).
#pragma once

typedef unsigned short bf16_t;

#define FULL_MASK 0xffffffffu
#define NEG_INFINITY __int_as_float(0xff800000)

static __device__ __forceinline__ float bf16_to_f32(bf16_t h) { return __uint_as_float(((unsigned int)h) << 16); }

// Round to nearest even on the dropped 16 bits (Float16Bits.SingleToBf16 on the host does the same).
static __device__ __forceinline__ bf16_t f32_to_bf16(float f)
{
    unsigned int u = __float_as_uint(f);
    u += 0x7fffu + ((u >> 16) & 1u);
    return (bf16_t)(u >> 16);
}

// Eight bf16 packed in 16 bytes, as floats.
static __device__ __forceinline__ void unpack_bf16x8(uint4 raw, float* out)
{
    unsigned int words[4] = { raw.x, raw.y, raw.z, raw.w };
#pragma unroll
    for (int i = 0; i < 4; i++)
    {
        out[2 * i] = __uint_as_float(words[i] << 16);
        out[2 * i + 1] = __uint_as_float(words[i] & 0xffff0000u);
    }
}

static __device__ __forceinline__ float warp_sum(float v)
{
#pragma unroll
    for (int offset = 16; offset > 0; offset >>= 1)
    {
        v += __shfl_xor_sync(FULL_MASK, v, offset);
    }
    return v;
}

static __device__ __forceinline__ float warp_max(float v)
{
#pragma unroll
    for (int offset = 16; offset > 0; offset >>= 1)
    {
        v = fmaxf(v, __shfl_xor_sync(FULL_MASK, v, offset));
    }
    return v;
}

template <bool IsMax>
static __device__ __forceinline__ float warp_reduce(float v)
{
    return IsMax ? warp_max(v) : warp_sum(v);
}

// Sum (or maximum) over the whole block (blockDim.x a multiple of 32); every thread gets the result. scratch holds
// 32 floats.
template <bool IsMax>
static __device__ float block_reduce(float v, float* scratch)
{
    const int lane = threadIdx.x & 31;
    const int warp = threadIdx.x >> 5;
    v = warp_reduce<IsMax>(v);
    __syncthreads(); // scratch may still be read by a previous call
    if (lane == 0)
    {
        scratch[warp] = v;
    }
    __syncthreads();
    const int warps = blockDim.x >> 5;
    return warp_reduce<IsMax>(lane < warps ? scratch[lane] : (IsMax ? NEG_INFINITY : 0.0f));
}

static __device__ __forceinline__ float block_sum(float v, float* scratch) { return block_reduce<false>(v, scratch); }

static __device__ __forceinline__ float block_max(float v, float* scratch) { return block_reduce<true>(v, scratch); }

static __device__ __forceinline__ float gain_of(const float* gain, int i, int add_one)
{
    return add_one ? 1.0f + gain[i] : gain[i];
}
