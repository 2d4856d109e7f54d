// Tensor-core flash-attention forward (--precision tf32, fp16, bf16), included by attention.cu after the
// exact kernel: the same launch parameters, flags, masks, summary format and split/merge scheme, so the
// host side and longattn_merge_splits serve both. FlashAttention-2's structure on mma.sync (sm_80+):
//  - a block is 4 warps; a warp owns WM groups of 16 query rows and keeps their running max, sum and O
//    accumulators in registers for the whole key loop, and their Q fragments too except at 16-bit D = 128
//    (there Q waits in shared memory and the key tiles are 32 keys: the registers hold no more);
//  - S = Q K^T with m16n8k16 (fp16/bf16 operands) or m16n8k8 (tf32), float32 accumulation;
//  - the online softmax runs in float32 on the S accumulators (base 2: Q arrives scaled by scale x log2 e);
//  - P is rounded to the operand type in registers: the m16n8 accumulator layout of two adjacent key
//    blocks is the m16n8k16 A-operand layout (FA2's register reuse), so P never touches shared memory;
//  - K and V arrive packed by longattn_pack_kv_* ([keys][DP] in the operand type, zero-padded columns,
//    already rounded), so a key tile is a plain cp.async copy and fragments come by ldmatrix (16-bit) or
//    conflict-free 32-bit loads (tf32).
// Determinism is the exact kernel's argument: key tiles aligned to absolute key positions, ascending tile
// order per row, fixed shuffle trees; an MMA's accumulation order is fixed by the hardware. A row never
// reads another row's data, so the bits do not depend on the block, unit or partition that holds it.

#include <cuda_fp16.h>
#include <cuda_bf16.h>

namespace {

// Keys per tile: 64, or 32 where two row groups of 128 O columns leave no registers for 64 scores per row
// (16-bit D = 128). Key splits are multiples of 64 (CudaAttention.TILE_KEYS), hence of both.
template <bool TF32, int DP> __host__ __device__ constexpr int tc_bk() { return !TF32 && DP == 128 ? 32 : 64; }

struct Tf32 {};  // operand type tags
struct Fp16 {};
struct Bf16 {};

template <typename P> struct Operand;
template <> struct Operand<Tf32> {
    using Elem = float;
    static constexpr int PAD = 4;  // 32-bit fragments: a row pad of 4 words puts the 8 key rows 4 banks apart
    static __device__ __forceinline__ float pack1(float x) {
        unsigned r;
        asm("cvt.rna.tf32.f32 %0, %1;\n" : "=r"(r) : "f"(x));
        return __uint_as_float(r);
    }
};
template <> struct Operand<Fp16> {
    using Elem = __half;
    static constexpr int PAD = 8;  // ldmatrix: a 16-byte row pad puts consecutive rows in distinct bank groups
    static __device__ __forceinline__ __half pack1(float x) { return __float2half_rn(x); }
    static __device__ __forceinline__ unsigned pack2(float lo, float hi) {
        __half2 h = __floats2half2_rn(lo, hi);
        return *reinterpret_cast<unsigned*>(&h);
    }
};
template <> struct Operand<Bf16> {
    using Elem = __nv_bfloat16;
    static constexpr int PAD = 8;
    static __device__ __forceinline__ __nv_bfloat16 pack1(float x) { return __float2bfloat16_rn(x); }
    static __device__ __forceinline__ unsigned pack2(float lo, float hi) {
        __nv_bfloat162 h = __floats2bfloat162_rn(lo, hi);
        return *reinterpret_cast<unsigned*>(&h);
    }
};

// D += A B for one m16n8k16 (16-bit operands) or m16n8k8 (tf32) step; a: 4 registers, b: 2.
template <typename P>
__device__ __forceinline__ void mma(float (&d)[4], const unsigned (&a)[4], unsigned b0, unsigned b1);
template <>
__device__ __forceinline__ void mma<Bf16>(float (&d)[4], const unsigned (&a)[4], unsigned b0, unsigned b1) {
    asm volatile("mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};\n"
                 : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
                 : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
}
template <>
__device__ __forceinline__ void mma<Fp16>(float (&d)[4], const unsigned (&a)[4], unsigned b0, unsigned b1) {
    asm volatile("mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};\n"
                 : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
                 : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
}
template <>
__device__ __forceinline__ void mma<Tf32>(float (&d)[4], const unsigned (&a)[4], unsigned b0, unsigned b1) {
    asm volatile("mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};\n"
                 : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
                 : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
}

__device__ __forceinline__ void ldmatrix_x4(unsigned (&r)[4], const void* p) {
    unsigned s = (unsigned) __cvta_generic_to_shared(p);
    asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0,%1,%2,%3}, [%4];\n"
                 : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3]) : "r"(s));
}
__device__ __forceinline__ void ldmatrix_x4_trans(unsigned (&r)[4], const void* p) {
    unsigned s = (unsigned) __cvta_generic_to_shared(p);
    asm volatile("ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 {%0,%1,%2,%3}, [%4];\n"
                 : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3]) : "r"(s));
}

__device__ __forceinline__ float quad_max(float v) {
    v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, 1));
    return fmaxf(v, __shfl_xor_sync(0xffffffffu, v, 2));
}
__device__ __forceinline__ float quad_sum(float v) {
    v += __shfl_xor_sync(0xffffffffu, v, 1);
    return v + __shfl_xor_sync(0xffffffffu, v, 2);
}

// 2^x on the special-function unit alone. exp2f compiles to the same MUFU.EX2 wrapped in a range check and
// two FMULs that keep subnormal results; here those flush to 0. Every use is a softmax weight or rescale
// factor next to a sum of at least 1 (the row's maximum contributes 2^0), so a weight below 2^-126 is lost
// in float32 rounding either way; 2^-inf = 0 and 2^0 = 1 exactly, as before.
__device__ __forceinline__ float exp2_ftz(float x) {
    float r;
    asm("ex2.approx.ftz.f32 %0, %1;\n" : "=f"(r) : "f"(x));
    return r;
}

// tanh(x) = 1 - 2 / (e^2x + 1): a few instructions where tanhf's inlined body, repeated over a whole
// tile of scores, spilled registers. Its error (a few float32 ulps of 1, so relative error near 1e-7 / |x|
// for small x) is far below the 16-bit and tf32 operand rounding; e^2x = inf gives 1, 0 gives -1.
__device__ __forceinline__ float tanh_short(float x) {
    return 1.f - 2.f / (exp2_ftz(x * 2.8853900817779268f) + 1.f);
}

// Keys [kbase, kbase + BK) of a packed K or V ([keys][DP] elements of type E from key `base`) into a
// shared tile [BK][SS]; keys outside [from, to) are zero-filled without being read.
template <typename E, int DP, int SS, int BK>
__device__ __forceinline__ void tc_load_tile(E* __restrict__ dst, const E* __restrict__ src, int kbase, int from, int to,
                                             int base) {
    constexpr int PER_CHUNK = 16 / sizeof(E);
    constexpr int CHUNKS = DP / PER_CHUNK;
    static_assert(BK * CHUNKS % THREADS == 0, "every thread copies the same number of chunks");
#pragma unroll
    for (int n = 0; n < BK * CHUNKS / THREADS; n++) {
        int idx = threadIdx.x + n * THREADS;
        int kk = idx / CHUNKS, c = (idx - kk * CHUNKS) * PER_CHUNK;
        int key = kbase + kk;
        bool ok = key >= from && key < to;
        const E* g = ok ? src + (long long) (key - base) * DP + c : src;
        unsigned s = (unsigned) __cvta_generic_to_shared(dst + kk * SS + c);
        asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(s), "l"(g), "r"(ok ? 16 : 0) : "memory");
    }
}

// A row's slot in the summary buffers: with key splits in the launch (grid y), split y's rows start at
// y x rows. Recomputed where used from the launch registers rather than kept in offset pointers, which
// would hold registers across the key loop (the 16-bit D = 128 loop has none to spare).
__device__ __forceinline__ long long state_row(int row, int rows) {
    return (gridDim.y > 1 ? (long long) blockIdx.y * rows : 0LL) + row;
}

// One block: 4 warps x WM x 16 query rows against key tiles of tc_bk keys; K and V columns padded to DP (64 or 128).
// Thread layout inside a 16-row group (the mma accumulator layout): lane = 4 g + t holds rows g and g + 8,
// key (or value) columns 8 n + 2 t and 8 n + 2 t + 1 of every 8-wide block n.
template <typename P, int DP, int WM>
__device__ __forceinline__ void tc_tile_loop(
        const float* __restrict__ q, const typename Operand<P>::Elem* __restrict__ k,
        const typename Operand<P>::Elem* __restrict__ v, float* __restrict__ o, float* __restrict__ lse,
        float* __restrict__ st_m, float* __restrict__ st_l, float* __restrict__ st_acc,
        int rows, int hg, long long q0, int d, int dv, Mask mask, int kv_from, int kv_to, int kv_base, float cap,
        int flags, int tile) {
    using Op = Operand<P>;
    using E = typename Op::Elem;
    constexpr bool TF32 = sizeof(E) == 4;
    constexpr int KS = TF32 ? 8 : 16;   // contraction depth of one mma
    constexpr int SS = DP + Op::PAD;    // shared row stride of K and V tiles, in elements
    constexpr int TC_BK = tc_bk<TF32, DP>();
    constexpr int NB = TC_BK / 8;       // 8-key blocks of S per tile
    constexpr int NO = DP / 8;          // 8-column blocks of O
    constexpr int BQ = 4 * WM * 16;
    // 16-bit at D = 128: two row groups per warp hold 128 O accumulators per thread, so Q stays in shared
    // memory (the tile's rows x SS, after K and V) and its fragments are reloaded per contraction step, as FA2
    // does; elsewhere Q's fragments live in registers for the whole key loop.
    constexpr bool QS = !TF32 && DP == 128;
    extern __shared__ __align__(16) unsigned char smem_tc[];
    // 16-bit at D = 64: K and V tiles double-buffered ([K0][V0][K1][V1]), so tile t + 1 loads during all of
    // tile t behind one barrier per tile. Elsewhere single buffers: V(t) loads behind the scores, K(t + 1)
    // behind P V, two barriers per tile (at 16-bit D = 128 the second pair of copies spilled registers; tf32
    // at D = 128 would fit one block per SM).
    constexpr bool DB = !TF32 && DP == 64;
    constexpr int KV_BUF = 2 * TC_BK * SS;  // elements of one K and V pair
    E* const sQ = reinterpret_cast<E*>(smem_tc) + (DB ? 2 : 1) * KV_BUF;

    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    const int g = lane >> 2, t = lane & 3;
    const int r0 = tile * BQ;
    const int wr0 = r0 + warp * WM * 16;  // the warp's first row

    // Q fragments (A operand of S = Q K^T), rounded once; rows past the end and columns past d are zero
    unsigned qf[QS ? 1 : WM][QS ? 1 : DP / KS][4];
    if constexpr (QS) {
        // the warp's own rows only: the first barrier of the key loop is not needed for them, __syncwarp is
        for (int idx = lane; idx < WM * 16 * DP / 2; idx += 32) {
            int rr = idx / (DP / 2), c = (idx - rr * (DP / 2)) * 2;
            int r = wr0 + rr;
            float x0 = r < rows && c < d ? q[(long long) r * d + c] : 0.f;
            float x1 = r < rows && c + 1 < d ? q[(long long) r * d + c + 1] : 0.f;
            *reinterpret_cast<unsigned*>(sQ + (warp * WM * 16 + rr) * SS + c) = Op::pack2(x0, x1);
        }
        __syncwarp();
    } else
#pragma unroll
    for (int w = 0; w < WM; w++) {
        int ra = wr0 + w * 16 + g, rb = ra + 8;
#pragma unroll
        for (int ks = 0; ks < DP / KS; ks++) {
            if constexpr (TF32) {
                int c = ks * 8 + t;
                float x[4];
                x[0] = ra < rows && c < d ? q[(long long) ra * d + c] : 0.f;
                x[1] = rb < rows && c < d ? q[(long long) rb * d + c] : 0.f;
                x[2] = ra < rows && c + 4 < d ? q[(long long) ra * d + c + 4] : 0.f;
                x[3] = rb < rows && c + 4 < d ? q[(long long) rb * d + c + 4] : 0.f;
#pragma unroll
                for (int u = 0; u < 4; u++) qf[w][ks][u] = __float_as_uint(Op::pack1(x[u]));
            } else {
#pragma unroll
                for (int u = 0; u < 4; u++) {
                    int r = (u & 1) ? rb : ra;
                    int c = ks * 16 + 2 * t + ((u & 2) ? 8 : 0);
                    float x0 = r < rows && c < d ? q[(long long) r * d + c] : 0.f;
                    float x1 = r < rows && c + 1 < d ? q[(long long) r * d + c + 1] : 0.f;
                    qf[w][ks][u] = Op::pack2(x0, x1);
                }
            }
        }
    }

    // the block's union of allowed keys: bounds are non-decreasing in the row
    const int last = min(r0 + BQ, rows) - 1;
    const long long pos_first = q0 + min(r0, last) / hg, pos_last = q0 + last / hg;
    const int block_lo = max(mask.lo(pos_first), kv_from);
    const int block_hi = min(mask.hi(pos_last), kv_to);
    const int vis_lo = mask.lo(pos_last), vis_hi = mask.hi(pos_first);

    // running max (log2 units), sum and O accumulators of rows g (index 0) and g + 8 (index 1) per group
    float m[WM][2], l[WM][2], acc[WM][NO][4];
#pragma unroll
    for (int w = 0; w < WM; w++)
#pragma unroll
        for (int h = 0; h < 2; h++) {
            int row = wr0 + w * 16 + g + 8 * h;
            bool in = (flags & IN_STATE) && row < rows;
            long long sr = state_row(row, rows);
            m[w][h] = in ? st_m[sr] : -CUDART_INF_F;
            l[w][h] = in ? st_l[sr] : 0.f;
#pragma unroll
            for (int n = 0; n < NO; n++)
#pragma unroll
                for (int c = 0; c < 2; c++) {
                    int col = n * 8 + 2 * t + c;
                    acc[w][n][2 * h + c] = in && col < dv ? st_acc[sr * dv + col] : 0.f;
                }
        }

    if (block_lo < block_hi) {
        const int t_first = block_lo / TC_BK, t_last = (block_hi - 1) / TC_BK;
        {
            E* const sK = reinterpret_cast<E*>(smem_tc) + (DB ? (t_first & 1) * KV_BUF : 0);
            tc_load_tile<E, DP, SS, TC_BK>(sK, k, t_first * TC_BK, kv_from, kv_to, kv_base);
            if constexpr (DB) tc_load_tile<E, DP, SS, TC_BK>(sK + TC_BK * SS, v, t_first * TC_BK, kv_from, kv_to, kv_base);
            cp_async_commit();
        }
        for (int tt = t_first; tt <= t_last; tt++) {
            const int kbase = tt * TC_BK;
            E* const sK = reinterpret_cast<E*>(smem_tc) + (DB ? (tt & 1) * KV_BUF : 0);
            E* const sV = sK + TC_BK * SS;
            cp_async_wait_all();
            if constexpr (DB) {
                __syncthreads();  // K(t), V(t) visible; every warp is past tile t - 1, whose buffers refill now
                if (tt < t_last) {
                    E* const nK = reinterpret_cast<E*>(smem_tc) + ((tt + 1) & 1) * KV_BUF;
                    tc_load_tile<E, DP, SS, TC_BK>(nK, k, kbase + TC_BK, kv_from, kv_to, kv_base);
                    tc_load_tile<E, DP, SS, TC_BK>(nK + TC_BK * SS, v, kbase + TC_BK, kv_from, kv_to, kv_base);
                    cp_async_commit();
                }
            } else {
                __syncthreads();  // K(t) visible; every warp is past P V of tile t - 1, so sV may be refilled
                tc_load_tile<E, DP, SS, TC_BK>(sV, v, kbase, kv_from, kv_to, kv_base);
                cp_async_commit();
            }

            float s[WM][NB][4];
#pragma unroll
            for (int w = 0; w < WM; w++)
#pragma unroll
                for (int n = 0; n < NB; n++)
#pragma unroll
                    for (int c = 0; c < 4; c++) s[w][n][c] = 0.f;

            // S = Q K^T, contraction in ascending column steps
            if constexpr (TF32) {
#pragma unroll
                for (int ks = 0; ks < DP / 8; ks++)
#pragma unroll
                    for (int n = 0; n < NB; n++) {
                        const float* kr = reinterpret_cast<const float*>(sK) + (n * 8 + g) * SS + ks * 8 + t;
                        unsigned b0 = __float_as_uint(kr[0]), b1 = __float_as_uint(kr[4]);
#pragma unroll
                        for (int w = 0; w < WM; w++) mma<P>(s[w][n], qf[w][ks], b0, b1);
                    }
            } else {
#pragma unroll
                for (int kk = 0; kk < DP / 32; kk++) {
                    unsigned qa[WM][2][4];
#pragma unroll
                    for (int w = 0; w < WM; w++)
#pragma unroll
                        for (int j = 0; j < 2; j++) {
                            if constexpr (QS) {
                                // four 8x8 matrices: rows +0 / +8 (lane bit 3) x columns +0 / +8 (lane bit 4),
                                // the m16n8k16 A layout of the register path below
                                ldmatrix_x4(qa[w][j], sQ + (warp * WM * 16 + w * 16 + (lane & 15)) * SS
                                                          + (2 * kk + j) * 16 + (lane >> 4) * 8);
                            } else {
#pragma unroll
                                for (int u = 0; u < 4; u++) qa[w][j][u] = qf[QS ? 0 : w][QS ? 0 : 2 * kk + j][u];
                            }
                        }
#pragma unroll
                    for (int n = 0; n < NB; n++) {
                        // four 8x8 matrices: keys 8n..8n+7 x columns 32kk + 8j .. + 7, j = lane / 8
                        unsigned b[4];
                        ldmatrix_x4(b, sK + (n * 8 + (lane & 7)) * SS + kk * 32 + (lane >> 3) * 8);
#pragma unroll
                        for (int w = 0; w < WM; w++) {
                            mma<P>(s[w][n], qa[w][0], b[0], b[1]);
                            mma<P>(s[w][n], qa[w][1], b[2], b[3]);
                        }
                    }
                }
            }

            if (cap > 0.f) {
#pragma unroll
                for (int w = 0; w < WM; w++)
#pragma unroll
                    for (int n = 0; n < NB; n++)
#pragma unroll
                        for (int c = 0; c < 4; c++) s[w][n][c] = cap * tanh_short(s[w][n][c]);
            }
            const bool full = vis_lo <= kbase && vis_hi >= kbase + TC_BK && kbase + TC_BK <= kv_to && kbase >= kv_from;
            if (!full) {
#pragma unroll
                for (int w = 0; w < WM; w++)
#pragma unroll
                    for (int h = 0; h < 2; h++) {
                        long long pos = q0 + min(wr0 + w * 16 + g + 8 * h, rows - 1) / hg;
                        int lo = max(mask.lo(pos), kv_from), hi = min(mask.hi(pos), kv_to);
#pragma unroll
                        for (int n = 0; n < NB; n++)
#pragma unroll
                            for (int c = 0; c < 2; c++) {
                                int key = kbase + n * 8 + 2 * t + c;
                                if (key < lo || key >= hi) s[w][n][2 * h + c] = -CUDART_INF_F;
                            }
                    }
            }

            // online softmax: m' = max(m, max_j s_j), alpha = 2^(m - m'), p = 2^(s - m')
            float alpha[WM][2];
            bool steady = true;  // no row of this thread changed its max
#pragma unroll
            for (int w = 0; w < WM; w++)
#pragma unroll
                for (int h = 0; h < 2; h++) {
                    float mx = s[w][0][2 * h];
#pragma unroll
                    for (int n = 0; n < NB; n++) mx = fmaxf(mx, fmaxf(s[w][n][2 * h], s[w][n][2 * h + 1]));
                    mx = quad_max(mx);
                    float mn = fmaxf(m[w][h], mx);
                    float sum = 0.f;
                    if (mn == -CUDART_INF_F) {  // no key seen yet: the summary stays as it is
                        alpha[w][h] = 1.f;
#pragma unroll
                        for (int n = 0; n < NB; n++) s[w][n][2 * h] = s[w][n][2 * h + 1] = 0.f;
                    } else {
                        alpha[w][h] = exp2_ftz(m[w][h] - mn);
#pragma unroll
                        for (int n = 0; n < NB; n++)
#pragma unroll
                            for (int c = 0; c < 2; c++) {
                                float p = exp2_ftz(s[w][n][2 * h + c] - mn);
                                s[w][n][2 * h + c] = p;
                                sum += p;
                            }
                    }
                    sum = quad_sum(sum);
                    l[w][h] = l[w][h] * alpha[w][h] + sum;
                    steady &= mn == m[w][h];
                    m[w][h] = mn;
                }
            // Once a row has seen most of its keys its max rarely moves, and alpha = 1 leaves acc's bits as
            // they are: skipping the multiply when no row of the warp moved gives the same bits, and the
            // vote keeps the branch warp-uniform.
            if (!__all_sync(0xffffffffu, steady)) {
#pragma unroll
                for (int w = 0; w < WM; w++)
#pragma unroll
                    for (int n = 0; n < NO; n++)
#pragma unroll
                        for (int c = 0; c < 4; c++) acc[w][n][c] *= alpha[w][c >> 1];
            }

            if constexpr (!DB) {
                cp_async_wait_all();
                __syncthreads();  // V(t) visible; every warp is done with sK
                if (tt < t_last) {
                    tc_load_tile<E, DP, SS, TC_BK>(sK, k, kbase + TC_BK, kv_from, kv_to, kv_base);
                    cp_async_commit();
                }
            }

            // O += P V, keys in ascending steps. The sum l uses P before rounding, as FA2 does.
            if constexpr (TF32) {
                // A column j of a k8 step is key 2j for j < 4 and key 2(j - 4) + 1 above: the accumulator
                // layout as it is, with V's rows fetched in the same order
#pragma unroll
                for (int n = 0; n < NB; n++) {
                    unsigned a[WM][4];
#pragma unroll
                    for (int w = 0; w < WM; w++) {
                        a[w][0] = __float_as_uint(Op::pack1(s[w][n][0]));
                        a[w][1] = __float_as_uint(Op::pack1(s[w][n][2]));
                        a[w][2] = __float_as_uint(Op::pack1(s[w][n][1]));
                        a[w][3] = __float_as_uint(Op::pack1(s[w][n][3]));
                    }
                    const float* vr = reinterpret_cast<const float*>(sV) + (n * 8 + 2 * t) * SS + g;
#pragma unroll
                    for (int j = 0; j < NO; j++) {
                        unsigned b0 = __float_as_uint(vr[j * 8]), b1 = __float_as_uint(vr[SS + j * 8]);
#pragma unroll
                        for (int w = 0; w < WM; w++) mma<P>(acc[w][j], a[w], b0, b1);
                    }
                }
            } else {
#pragma unroll
                for (int kk = 0; kk < TC_BK / 16; kk++) {
                    unsigned a[WM][4];
#pragma unroll
                    for (int w = 0; w < WM; w++) {
                        a[w][0] = Op::pack2(s[w][2 * kk][0], s[w][2 * kk][1]);
                        a[w][1] = Op::pack2(s[w][2 * kk][2], s[w][2 * kk][3]);
                        a[w][2] = Op::pack2(s[w][2 * kk + 1][0], s[w][2 * kk + 1][1]);
                        a[w][3] = Op::pack2(s[w][2 * kk + 1][2], s[w][2 * kk + 1][3]);
                    }
#pragma unroll
                    for (int j = 0; j < NO; j += 2) {
                        // four 8x8 matrices, transposed: keys 16kk + 8 (i & 1) .. + 7 x columns 8 (j + i / 2) .. + 7
                        unsigned b[4];
                        int i = lane >> 3;
                        ldmatrix_x4_trans(b, sV + (kk * 16 + (i & 1) * 8 + (lane & 7)) * SS + (j + (i >> 1)) * 8);
#pragma unroll
                        for (int w = 0; w < WM; w++) {
                            mma<P>(acc[w][j], a[w], b[0], b[1]);
                            mma<P>(acc[w][j + 1], a[w], b[2], b[3]);
                        }
                    }
                }
            }
        }
    }

    // results
#pragma unroll
    for (int w = 0; w < WM; w++)
#pragma unroll
        for (int h = 0; h < 2; h++) {
            int row = wr0 + w * 16 + g + 8 * h;
            if (row >= rows) continue;
            if (flags & OUT_STATE) {
                long long sr = state_row(row, rows);
                if (t == 0) {
                    st_m[sr] = m[w][h];
                    st_l[sr] = l[w][h];
                }
#pragma unroll
                for (int n = 0; n < NO; n++)
#pragma unroll
                    for (int c = 0; c < 2; c++) {
                        int col = n * 8 + 2 * t + c;
                        if (col < dv) st_acc[sr * dv + col] = acc[w][n][2 * h + c];
                    }
            }
            if (flags & OUT_FINAL) {
                float inv = l[w][h] > 0.f ? 1.f / l[w][h] : 0.f;
                if (t == 0 && lse != nullptr) {
                    lse[row] = l[w][h] > 0.f ? (m[w][h] + log2f(l[w][h])) * 0.69314718055994531f : -CUDART_INF_F;
                }
#pragma unroll
                for (int n = 0; n < NO; n++)
#pragma unroll
                    for (int c = 0; c < 2; c++) {
                        int col = n * 8 + 2 * t + c;
                        if (col < dv) o[(long long) row * dv + col] = acc[w][n][2 * h + c] * inv;
                    }
            }
        }
}

}  // namespace

// Query-row groups per warp (a block has 4 warps): two for 16-bit operands, so each K and V fragment read
// from shared memory feeds two mma rows (with one, D = 128 was bound by shared-memory bandwidth: one
// ldmatrix.x4 per two mma); one for tf32, where the O accumulators and Q fragments fill the registers.
// CudaAttention.tileRows and tcSharedBytes mirror it.
#define LONGATTN_TC_WM(P, DP) (sizeof(typename Operand<P>::Elem) == 2 ? 2 : 1)

// The same parameters as longattn_fwd_*, with k and v the packed operand buffers (k_stride and v_stride
// must be DP; they are checked by the host and ignored here).
#define LONGATTN_TC_DEFINE(NAME, P, DP)                                                                  \
    extern "C" __global__ void __launch_bounds__(THREADS, 2) longattn_tc_##NAME##_##DP(                  \
            const float* __restrict__ q, const float* __restrict__ k, const float* __restrict__ v,         \
            float* __restrict__ o, float* __restrict__ lse, float* __restrict__ st_m,                     \
            float* __restrict__ st_l, float* __restrict__ st_acc, int rows, int hg, long long q0, int d,   \
            int dv, long long k_stride, long long v_stride, long long offset, int left, int right, int sk, \
            int kv_from, int kv_to, int kv_base, int split_keys, float cap, int flags, int reverse) {      \
        using E = typename Operand<P>::Elem;                                                              \
        const LaunchRange lr = launch_range(kv_from, kv_to, split_keys, reverse);                         \
        Mask mask{offset, left, right, sk};                                                               \
        tc_tile_loop<P, DP, LONGATTN_TC_WM(P, DP)>(q, reinterpret_cast<const E*>(k),                      \
                reinterpret_cast<const E*>(v), o, lse, st_m, st_l, st_acc, rows, hg, q0, d, dv, mask,      \
                lr.from, lr.to, kv_base, cap, flags, lr.tile);                                                     \
    }

LONGATTN_TC_DEFINE(tf32, Tf32, 64)
LONGATTN_TC_DEFINE(tf32, Tf32, 128)
LONGATTN_TC_DEFINE(fp16, Fp16, 64)
LONGATTN_TC_DEFINE(fp16, Fp16, 128)
LONGATTN_TC_DEFINE(bf16, Bf16, 64)
LONGATTN_TC_DEFINE(bf16, Bf16, 128)

// K or V of keys [0, keys) (row stride src_stride, w columns) into the operand type, [keys][dp] with the
// columns past w zero: what the tensor-core kernels read. One thread per output element.
#define LONGATTN_PACK_DEFINE(NAME, P)                                                                    \
    extern "C" __global__ void longattn_pack_kv_##NAME(const float* __restrict__ src, long long src_stride, \
                                                      int w, float* __restrict__ dst, int dp, long long keys) { \
        using E = typename Operand<P>::Elem;                                                              \
        long long idx = (long long) blockIdx.x * blockDim.x + threadIdx.x;                                \
        if (idx >= keys * dp) return;                                                                     \
        long long key = idx / dp;                                                                         \
        int c = (int) (idx - key * dp);                                                                   \
        float x = c < w ? src[key * src_stride + c] : 0.f;                                                \
        reinterpret_cast<E*>(dst)[idx] = Operand<P>::pack1(x);                                            \
    }

LONGATTN_PACK_DEFINE(tf32, Tf32)
LONGATTN_PACK_DEFINE(fp16, Fp16)
LONGATTN_PACK_DEFINE(bf16, Bf16)
