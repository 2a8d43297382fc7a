#include "common.cuh"

// Sampling on the device, as docs/ARCHITECTURE.md ("Sampling, bit by bit") states it, one block per logits row.
// Row parameters are SAMPLE_ROW_INTS int32 words per row (floats as bits; SamplingRowLayout in C# names them).
// Masses are sums of weights in 2^-40 fixed point (unsigned 64-bit): integer sums do not depend on the order the
// threads add them in, so the draw is the same on every run and batch, and the C# twin computes the same integers.

#define SAMPLE_THREADS 512
#define SAMPLE_ROW_INTS 16
#define SAMPLE_RECORD_INTS 41
#define SAMPLE_MAX_LOGPROBS 20
#define FIXED_ONE 1099511627776.0 // 2^40

#define ROW_TEMPERATURE 0
#define ROW_TOP_K 1
#define ROW_TOP_P 2
#define ROW_MIN_P 3
#define ROW_PRESENCE 4
#define ROW_FREQUENCY 5
#define ROW_REPETITION 6
#define ROW_SEED_LO 7
#define ROW_SEED_HI 8
#define ROW_POSITION 9
#define ROW_LOGPROBS 10
#define ROW_PENALTY_OFFSET 11
#define ROW_PENALTY_COUNT 12

// Penalties of one row: entries (token, times in the output) for each distinct token of the history (the host
// lists them; tokens only in the prompt have count 0). Repetition first, then frequency and presence, in f32
// without contraction, exactly as the recipe writes them.
extern "C" __global__ void apply_penalties(float* __restrict__ logits, const int* __restrict__ row_params, const int* __restrict__ penalties, int rows, int vocab)
{
    const int r = blockIdx.x;
    if (r >= rows)
    {
        return;
    }

    const int* p = row_params + (long long)r * SAMPLE_ROW_INTS;
    const float repetition = __int_as_float(p[ROW_REPETITION]);
    const float frequency = __int_as_float(p[ROW_FREQUENCY]);
    const float presence = __int_as_float(p[ROW_PRESENCE]);
    const int* entries = penalties + 2LL * p[ROW_PENALTY_OFFSET];
    const int count = p[ROW_PENALTY_COUNT];
    float* row = logits + (long long)r * vocab;
    for (int i = threadIdx.x; i < count; i += blockDim.x)
    {
        const int token = entries[2 * i];
        const int seen = entries[2 * i + 1];
        float l = row[token];
        if (repetition != 1.0f)
        {
            l = l > 0.0f ? __fdiv_rn(l, repetition) : __fmul_rn(l, repetition);
        }
        if ((frequency != 0.0f || presence != 0.0f) && seen > 0)
        {
            l = __fsub_rn(l, __fadd_rn(__fmul_rn(frequency, (float)seen), presence));
        }
        row[token] = l;
    }
}

// Philox4x32-10 (SamplingRandom in C#): the uniform of (seed, position, draw 0).
static __device__ double philox_uniform(unsigned int k0, unsigned int k1, unsigned int position)
{
    unsigned int c0 = position, c1 = 0u, c2 = 0u, c3 = 0u;
#pragma unroll
    for (int round = 0; round < 10; round++)
    {
        if (round > 0)
        {
            k0 += 0x9E3779B9u;
            k1 += 0xBB67AE85u;
        }
        const unsigned int loA = 0xD2511F53u * c0;
        const unsigned int hiA = __umulhi(0xD2511F53u, c0);
        const unsigned int loB = 0xCD9E8D57u * c2;
        const unsigned int hiB = __umulhi(0xCD9E8D57u, c2);
        const unsigned int n0 = hiB ^ c1 ^ k0;
        const unsigned int n2 = hiA ^ c3 ^ k1;
        c0 = n0;
        c1 = loB;
        c2 = n2;
        c3 = loA;
    }
    const unsigned long long bits = (((unsigned long long)c0 << 32) | c1) >> 11;
    return (double)bits * (1.0 / 9007199254740992.0);
}

// Keys that order values as the sort does. Weights (>= 0, never NaN) order as their bits; logits are mapped so
// negative values order below positive ones; NaN logits have no key.
static __device__ __forceinline__ bool logit_key(float x, unsigned int* key)
{
    if (x != x)
    {
        return false;
    }
    const unsigned int u = __float_as_uint(x);
    *key = (u & 0x80000000u) ? ~u : (u | 0x80000000u);
    return true;
}

static __device__ __forceinline__ float logit_of_key(unsigned int key)
{
    return __uint_as_float((key & 0x80000000u) ? (key & 0x7fffffffu) : ~key);
}

static __device__ __forceinline__ unsigned long long fixed_of(float w)
{
    return (unsigned long long)((double)w * FIXED_ONE);
}

struct SampleShared
{
    unsigned int hist[256];
    unsigned long long hist_mass[256];
    unsigned long long scan[SAMPLE_THREADS];
    float top_value[SAMPLE_MAX_LOGPROBS];
    int top_id[SAMPLE_MAX_LOGPROBS];
    float fvalue[32];
    int ivalue[32];
    double dvalue[32];
    unsigned long long uvalue[2];
    int bin;
    int found;
};

// Block-wide reductions; every thread gets the result.
static __device__ float block_max(float v, SampleShared& s)
{
    v = warp_max(v);
    __syncthreads();
    if ((threadIdx.x & 31) == 0)
    {
        s.fvalue[threadIdx.x >> 5] = v;
    }
    __syncthreads();
    float total = (threadIdx.x & 31) < (blockDim.x >> 5) ? s.fvalue[threadIdx.x & 31] : NEG_INFINITY;
    return warp_max(total);
}

static __device__ int block_sum_int(int v, SampleShared& s)
{
#pragma unroll
    for (int offset = 16; offset > 0; offset >>= 1)
    {
        v += __shfl_xor_sync(FULL_MASK, v, offset);
    }
    __syncthreads();
    if ((threadIdx.x & 31) == 0)
    {
        s.ivalue[threadIdx.x >> 5] = v;
    }
    __syncthreads();
    int total = (threadIdx.x & 31) < (blockDim.x >> 5) ? s.ivalue[threadIdx.x & 31] : 0;
#pragma unroll
    for (int offset = 16; offset > 0; offset >>= 1)
    {
        total += __shfl_xor_sync(FULL_MASK, total, offset);
    }
    return total;
}

static __device__ int block_max_int(int v, SampleShared& s)
{
#pragma unroll
    for (int offset = 16; offset > 0; offset >>= 1)
    {
        v = max(v, __shfl_xor_sync(FULL_MASK, v, offset));
    }
    __syncthreads();
    if ((threadIdx.x & 31) == 0)
    {
        s.ivalue[threadIdx.x >> 5] = v;
    }
    __syncthreads();
    int total = (threadIdx.x & 31) < (blockDim.x >> 5) ? s.ivalue[threadIdx.x & 31] : -1;
#pragma unroll
    for (int offset = 16; offset > 0; offset >>= 1)
    {
        total = max(total, __shfl_xor_sync(FULL_MASK, total, offset));
    }
    return total;
}

static __device__ double block_sum_double(double v, SampleShared& s)
{
#pragma unroll
    for (int offset = 16; offset > 0; offset >>= 1)
    {
        v += __shfl_xor_sync(FULL_MASK, v, offset);
    }
    __syncthreads();
    if ((threadIdx.x & 31) == 0)
    {
        s.dvalue[threadIdx.x >> 5] = v;
    }
    __syncthreads();
    double total = (threadIdx.x & 31) < (blockDim.x >> 5) ? s.dvalue[threadIdx.x & 31] : 0.0;
#pragma unroll
    for (int offset = 16; offset > 0; offset >>= 1)
    {
        total += __shfl_xor_sync(FULL_MASK, total, offset);
    }
    return total;
}

// Exclusive prefix sum of one value per thread, in thread order; returns this thread's start, total in *total.
static __device__ unsigned long long block_scan(unsigned long long v, SampleShared& s, unsigned long long* total)
{
    __syncthreads();
    s.scan[threadIdx.x] = v;
    __syncthreads();
    if (threadIdx.x == 0)
    {
        unsigned long long running = 0;
        for (int i = 0; i < (int)blockDim.x; i++)
        {
            const unsigned long long x = s.scan[i];
            s.scan[i] = running;
            running += x;
        }
        s.uvalue[0] = running;
    }
    __syncthreads();
    *total = s.uvalue[0];
    return s.scan[threadIdx.x];
}

// Visits this thread's elements of v[0, count) in increasing order, visit(x, i), with 16-byte loads unrolled four
// deep where the row allows: one block scans a whole vocabulary row, so its speed is the loads it keeps in flight.
template <typename Visit>
static __device__ __forceinline__ void for_each_of_row(const float* __restrict__ v, int count, Visit visit)
{
    if ((count & 3) == 0 && (reinterpret_cast<unsigned long long>(v) & 15ull) == 0ull)
    {
        const float4* quads = reinterpret_cast<const float4*>(v);
#pragma unroll 4
        for (int c = threadIdx.x; c < (count >> 2); c += blockDim.x)
        {
            const float4 q = quads[c];
            visit(q.x, 4 * c);
            visit(q.y, 4 * c + 1);
            visit(q.z, 4 * c + 2);
            visit(q.w, 4 * c + 3);
        }
        return;
    }
#pragma unroll 8
    for (int i = threadIdx.x; i < count; i += blockDim.x)
    {
        visit(v[i], i);
    }
}

// The lowest id holding the largest value (NaN counts as larger than any number, as the host's IndexOfMax does).
static __device__ int block_argmax(const float* v, int count, SampleShared& s)
{
    float best = 0.0f;
    int best_id = -1;
    bool best_nan = false;
    for_each_of_row(v, count, [&](float x, int i) {
        const bool nan = x != x;
        if (best_id < 0 || (nan && !best_nan) || (!best_nan && !nan && x > best))
        {
            best = x;
            best_id = i;
            best_nan = nan;
        }
    });
    __syncthreads(); // the shared words below may still be read by a previous reduction
    float value = best;
    int id = best_id;
    int nan = best_nan ? 1 : 0;
#pragma unroll
    for (int offset = 16; offset > 0; offset >>= 1)
    {
        const float other_value = __shfl_xor_sync(FULL_MASK, value, offset);
        const int other_id = __shfl_xor_sync(FULL_MASK, id, offset);
        const int other_nan = __shfl_xor_sync(FULL_MASK, nan, offset);
        bool take;
        if (other_id < 0)
        {
            take = false;
        }
        else if (id < 0)
        {
            take = true;
        }
        else if (other_nan != nan)
        {
            take = other_nan > nan;
        }
        else if (!nan && other_value != value)
        {
            take = other_value > value;
        }
        else
        {
            take = other_id < id;
        }
        if (take)
        {
            value = other_value;
            id = other_id;
            nan = other_nan;
        }
    }
    if ((threadIdx.x & 31) == 0)
    {
        s.fvalue[threadIdx.x >> 5] = value;
        s.ivalue[threadIdx.x >> 5] = nan ? -2 - id : id; // id >= 0: a number; <= -2: a NaN at -2 - code
    }
    __syncthreads();
    if (threadIdx.x == 0)
    {
        int result = -1;
        bool result_nan = false;
        float result_value = 0.0f;
        for (int w = 0; w < (int)(blockDim.x >> 5); w++)
        {
            const int code = s.ivalue[w];
            if (code == -1)
            {
                continue;
            }
            const bool w_nan = code <= -2;
            const int w_id = w_nan ? -2 - code : code;
            const float w_value = s.fvalue[w];
            if (result < 0 || (w_nan && !result_nan) || (w_nan == result_nan && (w_nan ? w_id < result : (w_value > result_value || (w_value == result_value && w_id < result)))))
            {
                result = w_id;
                result_nan = w_nan;
                result_value = w_value;
            }
        }
        s.found = result;
    }
    __syncthreads();
    return s.found;
}

// Radix select by count over 8-bit digits, high to low: the key of the n-th largest keyed element (n >= 1) and how
// many keys are strictly larger. logits != 0 selects over logit keys (NaN excluded), else over weight bits.
static __device__ unsigned int select_by_count(const float* v, int count, int logits, unsigned int n, SampleShared& s, unsigned int* above_out)
{
    unsigned int prefix = 0u;
    unsigned int mask = 0u;
    unsigned int above = 0u;
    unsigned int want = n;
    for (int shift = 24; shift >= 0; shift -= 8)
    {
        __syncthreads();
        for (int b = threadIdx.x; b < 256; b += blockDim.x)
        {
            s.hist[b] = 0u;
        }
        __syncthreads();
        for (int i = threadIdx.x; i < count; i += blockDim.x)
        {
            unsigned int key;
            const bool keyed = logits ? logit_key(v[i], &key) : (key = __float_as_uint(v[i]), true);
            if (keyed && (key & mask) == prefix)
            {
                atomicAdd(&s.hist[(key >> shift) & 255u], 1u);
            }
        }
        __syncthreads();
        if (threadIdx.x == 0)
        {
            unsigned int cumulative = 0u;
            int b = 255;
            for (; b > 0; b--)
            {
                if (cumulative + s.hist[b] >= want)
                {
                    break;
                }
                cumulative += s.hist[b];
            }
            s.bin = b;
            s.uvalue[1] = cumulative;
        }
        __syncthreads();
        const unsigned int cumulative = (unsigned int)s.uvalue[1];
        above += cumulative;
        want -= cumulative;
        prefix |= (unsigned int)s.bin << shift;
        mask |= 255u << shift;
    }
    *above_out = above;
    return prefix;
}

// Radix select by mass over weight bits: the weight key where the prefix (largest first) of fixed-point mass first
// reaches target, with the count and mass of the weights strictly above it.
static __device__ unsigned int select_by_mass(const float* w, int count, double target, SampleShared& s, unsigned int* above_out, unsigned long long* mass_out)
{
    unsigned int prefix = 0u;
    unsigned int mask = 0u;
    unsigned int above = 0u;
    unsigned long long mass = 0ull;
    for (int shift = 24; shift >= 0; shift -= 8)
    {
        __syncthreads();
        for (int b = threadIdx.x; b < 256; b += blockDim.x)
        {
            s.hist[b] = 0u;
            s.hist_mass[b] = 0ull;
        }
        __syncthreads();
        for (int i = threadIdx.x; i < count; i += blockDim.x)
        {
            const float x = w[i];
            const unsigned int key = __float_as_uint(x);
            if ((key & mask) == prefix)
            {
                const unsigned int b = (key >> shift) & 255u;
                atomicAdd(&s.hist[b], 1u);
                atomicAdd(&s.hist_mass[b], fixed_of(x));
            }
        }
        __syncthreads();
        if (threadIdx.x == 0)
        {
            int b = 255;
            for (; b > 0; b--)
            {
                if ((double)(mass + s.hist_mass[b]) >= target)
                {
                    break;
                }
                mass += s.hist_mass[b];
                above += s.hist[b];
            }
            s.bin = b;
            s.uvalue[0] = mass;
            s.uvalue[1] = above;
        }
        __syncthreads();
        mass = s.uvalue[0];
        above = (unsigned int)s.uvalue[1];
        prefix |= (unsigned int)s.bin << shift;
        mask |= 255u << shift;
    }
    *above_out = above;
    *mass_out = mass;
    return prefix;
}

// The kept set's length in (weight descending, id ascending) order: the smallest of top-k's, top-p's and min-p's
// counts (each keeps a prefix of that order). weights row w; the largest weight is exactly 1.
static __device__ unsigned int kept_count(const float* w, int vocab, int top_k, float top_p, float min_p, SampleShared& s)
{
    const bool has_top_k = top_k > 0 && top_k < vocab;
    unsigned int kept = has_top_k ? (unsigned int)top_k : (unsigned int)vocab;
    if (top_p < 1.0f)
    {
        // The candidates' mass (the top k, or every token), then the shortest prefix reaching top_p of it.
        unsigned long long local = 0ull;
        unsigned int key = 0u;
        unsigned int above = 0u;
        if (has_top_k)
        {
            key = select_by_count(w, vocab, 0, kept, s, &above);
        }
        for (int i = threadIdx.x; i < vocab; i += blockDim.x)
        {
            if (!has_top_k || __float_as_uint(w[i]) > key)
            {
                local += fixed_of(w[i]);
            }
        }
        unsigned long long candidates;
        (void)block_scan(local, s, &candidates);
        if (has_top_k)
        {
            candidates += (unsigned long long)(kept - above) * fixed_of(__uint_as_float(key));
        }
        const double target = (double)top_p * (double)candidates;
        unsigned long long mass_above;
        const unsigned int cut = select_by_mass(w, vocab, target, s, &above, &mass_above);
        const unsigned long long f = fixed_of(__uint_as_float(cut));
        unsigned long long j = 1ull;
        if (f > 0ull && target > (double)mass_above)
        {
            const double estimate = ceil((target - (double)mass_above) / (double)f);
            j = estimate < 1.0 ? 1ull : (unsigned long long)estimate;
            while (j > 1ull && (double)(mass_above + (j - 1ull) * f) >= target)
            {
                j--;
            }
            while ((double)(mass_above + j * f) < target && j < (unsigned long long)vocab)
            {
                j++;
            }
        }
        const unsigned long long reach = (unsigned long long)above + j;
        kept = (unsigned int)min((unsigned long long)kept, reach);
    }
    if (min_p > 0.0f)
    {
        int local = 0;
        for (int i = threadIdx.x; i < vocab; i += blockDim.x)
        {
            local += w[i] >= min_p ? 1 : 0;
        }
        kept = min(kept, (unsigned int)block_sum_int(local, s));
    }
    return kept;
}

static __device__ __forceinline__ bool is_kept(unsigned int key, unsigned int cut, unsigned long long cut_ties, unsigned long long* rank)
{
    if (key != cut)
    {
        return key > cut;
    }
    return (*rank)++ < cut_ties;
}

// The inverse-CDF draw in id order over the kept set {key > cut} + the first cut_ties keys equal to cut (by id);
// -1 when the kept mass is zero. Each thread owns a contiguous run of ids so tie ranks and the walk follow ids.
static __device__ int draw_kept(const float* w, int vocab, unsigned int cut, unsigned long long cut_ties, double u, SampleShared& s)
{
    const int chunk = (vocab + (int)blockDim.x - 1) / (int)blockDim.x;
    const int begin = min(vocab, (int)threadIdx.x * chunk);
    const int end = min(vocab, begin + chunk);
    unsigned long long ties = 0ull;
    for (int i = begin; i < end; i++)
    {
        ties += __float_as_uint(w[i]) == cut ? 1ull : 0ull;
    }
    unsigned long long total_ties;
    const unsigned long long tie_start = block_scan(ties, s, &total_ties);
    unsigned long long local_mass = 0ull;
    int local_last = -1;
    unsigned long long rank = tie_start;
    for (int i = begin; i < end; i++)
    {
        if (is_kept(__float_as_uint(w[i]), cut, cut_ties, &rank))
        {
            local_mass += fixed_of(w[i]);
            local_last = i;
        }
    }
    unsigned long long mass;
    const unsigned long long mass_start = block_scan(local_mass, s, &mass);
    const int last_kept = block_max_int(local_last, s);
    if (mass == 0ull)
    {
        return -1;
    }
    const unsigned long long target = (unsigned long long)(u * (double)mass);
    if (target >= mass)
    {
        return last_kept; // rounding past the end
    }
    __syncthreads();
    if (threadIdx.x == 0)
    {
        s.found = last_kept;
    }
    __syncthreads();
    if (target >= mass_start && target < mass_start + local_mass)
    {
        unsigned long long running = mass_start;
        rank = tie_start;
        for (int i = begin; i < end; i++)
        {
            if (is_kept(__float_as_uint(w[i]), cut, cut_ties, &rank))
            {
                running += fixed_of(w[i]);
                if (running > target)
                {
                    s.found = i;
                    break;
                }
            }
        }
    }
    __syncthreads();
    return s.found;
}

// Top logprobs: the n largest logits (value descending, id ascending; NaN never) into the row's record, and ln of
// the softmax denominator at the row's scale.
static __device__ void write_top_logprobs(const float* l, int vocab, int n, float m, float scale, double log_sum, int* record, SampleShared& s)
{
    unsigned int above;
    const unsigned int cut = select_by_count(l, vocab, 1, (unsigned int)n, s, &above);
    const int ties_wanted = n - (int)above;
    const int chunk = (vocab + (int)blockDim.x - 1) / (int)blockDim.x;
    const int begin = min(vocab, (int)threadIdx.x * chunk);
    const int end = min(vocab, begin + chunk);
    unsigned long long ties = 0ull;
    for (int i = begin; i < end; i++)
    {
        unsigned int key;
        ties += logit_key(l[i], &key) && key == cut ? 1ull : 0ull;
    }
    unsigned long long total_ties;
    unsigned long long rank = block_scan(ties, s, &total_ties);
    if (threadIdx.x == 0)
    {
        s.bin = 0;
    }
    __syncthreads();
    for (int i = begin; i < end; i++)
    {
        unsigned int key;
        if (!logit_key(l[i], &key) || key < cut)
        {
            continue;
        }
        int slot = -1;
        if (key > cut)
        {
            slot = atomicAdd(&s.bin, 1);
        }
        else
        {
            slot = rank < (unsigned long long)ties_wanted ? (int)above + (int)rank : -1;
            rank++;
        }
        if (slot >= 0)
        {
            s.top_value[slot] = l[i];
            s.top_id[slot] = i;
        }
    }
    __syncthreads();
    if (threadIdx.x == 0)
    {
        for (int a = 1; a < n; a++)
        {
            const float v = s.top_value[a];
            const int id = s.top_id[a];
            int b = a;
            while (b > 0 && (s.top_value[b - 1] < v || (s.top_value[b - 1] == v && s.top_id[b - 1] > id)))
            {
                s.top_value[b] = s.top_value[b - 1];
                s.top_id[b] = s.top_id[b - 1];
                b--;
            }
            s.top_value[b] = v;
            s.top_id[b] = id;
        }
        for (int a = 0; a < n; a++)
        {
            record[1 + a] = s.top_id[a];
            record[1 + SAMPLE_MAX_LOGPROBS + a] = __float_as_int((float)((double)__fmul_rn(__fsub_rn(s.top_value[a], m), scale) - log_sum));
        }
    }
    __syncthreads();
}

// Samples one token per row from logits [rows][vocab] (penalised already; left as they are), with weights
// [rows][vocab] as scratch: out_tokens[r], and for rows asking logprobs the record out_records[r] = (sampled
// token's logprob, 20 top ids, 20 top logprobs), floats as bits.
extern "C" __global__ void sample_rows(
    const float* __restrict__ logits, float* __restrict__ weights, const int* __restrict__ row_params,
    int* __restrict__ out_tokens, int* __restrict__ out_records, int rows, int vocab)
{
    __shared__ SampleShared s;
    const int r = blockIdx.x;
    if (r >= rows)
    {
        return;
    }

    const int* p = row_params + (long long)r * SAMPLE_ROW_INTS;
    const float* l = logits + (long long)r * vocab;
    float* w = weights + (long long)r * vocab;
    const float temperature = __int_as_float(p[ROW_TEMPERATURE]);
    const bool greedy = temperature < 1e-5f;
    const int want_logprobs = p[ROW_LOGPROBS];

    // The row's maximum and whether it holds a NaN, for drawing and for logprobs; greedy alone needs only the argmax.
    float max_logit = NEG_INFINITY;
    bool any_nan = false;
    if (!greedy || want_logprobs >= 0)
    {
        float local_max = NEG_INFINITY;
        int local_nan = 0;
        for_each_of_row(l, vocab, [&](float x, int) {
            if (x != x)
            {
                local_nan = 1;
            }
            else
            {
                local_max = fmaxf(local_max, x);
            }
        });
        max_logit = block_max(local_max, s);
        any_nan = block_sum_int(local_nan, s) > 0;
    }
    const float scale = greedy ? 1.0f : __frcp_rn(temperature);

    int token = -1;
    if (!greedy && !any_nan && max_logit > NEG_INFINITY && max_logit < -NEG_INFINITY)
    {
        for (int i = threadIdx.x; i < vocab; i += blockDim.x)
        {
            w[i] = expf(__fmul_rn(__fsub_rn(l[i], max_logit), scale));
        }
        __syncthreads();
        const int top_k = p[ROW_TOP_K];
        const float top_p = __int_as_float(p[ROW_TOP_P]);
        const float min_p = __int_as_float(p[ROW_MIN_P]);
        unsigned int cut = 0u;
        unsigned long long cut_ties = 0xffffffffffffffffull;
        unsigned int kept = (unsigned int)vocab;
        if ((top_k > 0 && top_k < vocab) || top_p < 1.0f || min_p > 0.0f)
        {
            kept = kept_count(w, vocab, top_k, top_p, min_p, s);
            if (kept > 0u)
            {
                unsigned int above;
                cut = select_by_count(w, vocab, 0, kept, s, &above);
                cut_ties = (unsigned long long)(kept - above);
            }
        }
        if (kept > 0u)
        {
            const double u = philox_uniform((unsigned int)p[ROW_SEED_LO], (unsigned int)p[ROW_SEED_HI], (unsigned int)p[ROW_POSITION]);
            token = draw_kept(w, vocab, cut, cut_ties, u, s);
        }
    }
    if (token < 0)
    {
        // Greedy, or nothing to draw from (NaN, infinite or no kept mass): the argmax.
        token = block_argmax(l, vocab, s);
    }

    if (threadIdx.x == 0)
    {
        out_tokens[r] = token;
    }
    if (want_logprobs < 0)
    {
        return;
    }

    // Log-softmax at the row's scale before any filter (the host's max is NaN when a logit is).
    const float m = any_nan ? __int_as_float(0x7fffffff) : max_logit;
    double local_sum = 0.0;
    int keyed = 0;
    for_each_of_row(l, vocab, [&](float x, int) {
        local_sum += (double)expf(__fmul_rn(__fsub_rn(x, m), scale));
        keyed += x == x ? 1 : 0;
    });
    const double log_sum = log(block_sum_double(local_sum, s));
    const int n = min(want_logprobs, block_sum_int(keyed, s));
    int* record = out_records + (long long)r * SAMPLE_RECORD_INTS;
    if (n > 0)
    {
        write_top_logprobs(l, vocab, n, m, scale, log_sum, record, s);
    }
    if (threadIdx.x == 0)
    {
        record[0] = __float_as_int((float)((double)__fmul_rn(__fsub_rn(l[token], m), scale) - log_sum));
    }
}
