// Exact (float32) flash-attention forward for LongAttn, loaded through JCuda's driver API.
//
// One launch covers many query tiles of one kv head group: "rows" are the (token, query head) pairs of
// the group, token-major ([tokens][hg]), so the hg query heads that share a kv head share its K/V tiles.
// Q is already multiplied by scale * log2(e) (or scale / softcap) on the host, so scores are in log2
// units and the softmax uses exp2; with a soft cap c the score is c * log2(e) * tanh(q . k).
//
// Determinism: key tiles are aligned to absolute key positions (multiples of BK from key 0; split
// boundaries are multiples of every BK), each row's running summary is updated tile by tile in
// ascending order, and every reduction has a fixed order (per-thread sums, then butterfly shuffles). A
// row's bits therefore depend only on that row, K, V and the split size, never on which other rows share
// its tile, launch or unit. A tile that is fully masked for a row leaves that row's summary bit-identical
// (alpha = 1, p = 0), so the set of tiles a block visits does not matter either.
//
// Layout: K and V hold keys [kv_base, ...) of the group as [keys][d] and [keys][dv] (row strides given),
// O is [rows][dv], LSE [rows] (natural log), the summary state m (log2 units), l and acc ([rows][dv],
// relative to 2^m). Keys before kv_base are never read: the launch's key range starts at or after it.

#include <math_constants.h>

namespace {

constexpr int THREADS = 128;  // 16 row groups ty x 8 column groups tx (a warp holds 4 row groups)
constexpr int PAD = 4;        // row padding of sQ and sK: 16-byte rows stay aligned, rows start 4 banks apart

// Flags of a launch.
constexpr int IN_STATE = 1;   // start from m, l, acc in the state buffers instead of an empty summary
constexpr int OUT_STATE = 2;  // write the summary (m, l, acc) to the state buffers
constexpr int OUT_FINAL = 4;  // write O = acc / l and LSE = (m + log2 l) ln 2

struct Mask {
    long long offset;  // sk - sq: bottom-right alignment
    int left, right;   // -1 = unbounded
    int sk;

    __device__ __forceinline__ int lo(long long i) const {
        if (left < 0) return 0;
        long long v = i + offset - left;
        return (int) max(0LL, min((long long) sk, v));
    }
    __device__ __forceinline__ int hi(long long i) const {
        if (right < 0) return sk;
        long long v = i + offset + right + 1;
        return (int) max(0LL, min((long long) sk, v));
    }
};

// A tensor-core block's query tile (heaviest first when reverse) and key range; with key splits in the launch
// (grid y), split y takes keys [kv_from + y * split_keys, + split_keys), clipped to kv_to. (The exact kernels
// below compute the same inline, beside moving their summary pointers to the split's rows.)
struct LaunchRange {
    int tile, from, to;
};
__device__ __forceinline__ LaunchRange launch_range(int kv_from, int kv_to, int split_keys, int reverse) {
    LaunchRange r{reverse ? (int) (gridDim.x - 1 - blockIdx.x) : (int) blockIdx.x, kv_from, kv_to};
    if (gridDim.y > 1) {
        long long a = (long long) kv_from + (long long) blockIdx.y * split_keys;
        r.from = (int) min((long long) kv_to, a);
        r.to = (int) min((long long) kv_to, a + split_keys);
    }
    return r;
}

__device__ __forceinline__ float warp_max8(float v) {
    v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, 1));
    v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, 2));
    v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, 4));
    return v;
}

__device__ __forceinline__ float warp_sum8(float v) {
    v += __shfl_xor_sync(0xffffffffu, v, 1);
    v += __shfl_xor_sync(0xffffffffu, v, 2);
    v += __shfl_xor_sync(0xffffffffu, v, 4);
    return v;
}

// 16 bytes global -> shared without passing through registers (sm_80+); bytes < 16 zero-fills the rest,
// so bytes = 0 writes zeros and reads nothing (src must still be a valid address).
__device__ __forceinline__ void cp_async16(float* dst, const float* src, int bytes) {
    unsigned s = (unsigned) __cvta_generic_to_shared(dst);
    asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(s), "l"(src), "r"(bytes) : "memory");
}
__device__ __forceinline__ void cp_async_commit() { asm volatile("cp.async.commit_group;\n" ::: "memory"); }
__device__ __forceinline__ void cp_async_wait_all() { asm volatile("cp.async.wait_group 0;\n" ::: "memory"); }

// Keys [kbase, kbase + BK) of K or V (width w of WP padded columns, row stride `stride`) into a row-major
// shared tile [BK][SW]. Keys outside [from, to) and columns past w are zero, so padded products add 0 and
// masked keys (p = 0) never meet garbage; keys outside [from, to) are never read. With `vec` (w, stride
// and the base pointer allow 16-byte chunks) the copy is asynchronous: the caller waits before reading.
template <int BK, int WP, int SW>
__device__ __forceinline__ void load_kv_tile(float* __restrict__ dst, const float* __restrict__ src, long long stride,
                                             int w, int kbase, int from, int to, int base, bool vec) {
    const int tid = threadIdx.x;
    if (vec) {
        constexpr int CHUNKS = WP / 4;
        static_assert(BK * CHUNKS % THREADS == 0, "every thread copies the same number of chunks");
#pragma unroll
        for (int n = 0; n < BK * CHUNKS / THREADS; n++) {
            int idx = tid + n * THREADS;
            int kk = idx / CHUNKS, c = (idx - kk * CHUNKS) * 4;
            int key = kbase + kk;
            bool ok = key >= from && key < to && c < w;  // w % 4 == 0: a chunk is wholly inside or outside
            const float* g = ok ? src + (long long) (key - base) * stride + c : src;
            cp_async16(dst + kk * SW + c, g, ok ? 16 : 0);
        }
    } else {
        for (int idx = tid; idx < BK * WP; idx += THREADS) {
            int kk = idx / WP, c = idx - kk * WP;
            int key = kbase + kk;
            float x = 0.f;
            if (key >= from && key < to && c < w) x = src[(long long) (key - base) * stride + c];
            dst[kk * SW + c] = x;
        }
    }
}

// One block: BQ = 16 * TM query rows against key tiles of BK = 8 * TN keys. Thread (ty, tx) owns rows
// ty + 16 i (i < TM) and, for scores, keys tx + 8 j (j < TN); for O, value columns 32 j + 4 tx .. + 3.
// DP and DVP are D and Dv rounded up to 32, 64, 128 or 256 (the padding is zero-filled in shared memory).
//
// Shared memory, all row-major: sQ [BQ][DP + PAD], sK [BK][DP + PAD], sV [BK][DVP], sP [BQ][BK + PAD].
// Bank arithmetic (32 banks of 4 bytes; a warp is 4 row groups x 8 column groups):
//  - sQ float4 reads: 4 distinct rows per warp, (DP + 4) * ty = 4 ty mod 32 -> disjoint 16-byte bank groups,
//    each address broadcast to the 8 tx lanes.
//  - sK float4 reads: 8 distinct keys tx + 8 j, 4 tx mod 32 -> the 8 lanes cover all 32 banks once,
//    broadcast over the 4 ty.
//  - sV float4 reads: one key row, 8 lanes x 16 contiguous bytes, broadcast over ty.
//  - sP scalar writes: bank (BK + 4) ty + tx + 8 j = 4 ty + tx + const mod 32 -> at most 2-way conflicts
//    (a pad of 8 would remove them, but costs the third block per SM at D = Dv = 128);
//    float4 reads: 4 rows per warp at 4 ty mod 32 -> disjoint, broadcast over tx.
// Barriers: two per key tile. Loads of V(t) overlap the scores of tile t, loads of K(t + 1) overlap P V of
// tile t; single buffers suffice because each buffer is refilled only after the barrier that follows its
// last read. P is private to a warp (a warp's rows are only written and read by that warp).
template <int DP, int DVP, int TM, int TN>
__device__ __forceinline__ void attention_tile_loop(
        const float* __restrict__ q, const float* __restrict__ k, const float* __restrict__ v,
        float* __restrict__ o, float* __restrict__ lse,
        float* __restrict__ st_m, float* __restrict__ st_l, float* __restrict__ st_acc,
        int rows, int hg, long long q0, int d, int dv, long long k_stride, long long v_stride,
        Mask mask, int kv_from, int kv_to, int kv_base, float cap, int flags, int tile) {
    constexpr int BQ = 16 * TM;
    constexpr int BK = 8 * TN;
    constexpr int SQ = DP + PAD;
    constexpr int SK = DP + PAD;
    constexpr int SV = DVP;
    constexpr int SP = BK + PAD;
    constexpr int NV = DVP / 32;   // float4 column groups per thread for O
    extern __shared__ __align__(16) float smem[];
    float* sQ = smem;
    float* sK = sQ + BQ * SQ;
    float* sV = sK + BK * SK;
    float* sP = sV + BK * SV;

    const int tid = threadIdx.x;
    const int ty = tid >> 3, tx = tid & 7;
    const int r0 = tile * BQ;

    // the block's rows into sQ (rows past the end and columns past d are zero)
    for (int idx = tid; idx < BQ * DP; idx += THREADS) {
        int r = idx / DP, c = idx - r * DP;
        int row = r0 + r;
        float x = 0.f;
        if (row < rows && c < d) x = q[(long long) row * d + c];
        sQ[r * SQ + c] = x;
    }

    // the block's union of allowed keys: bounds are non-decreasing in the row
    const int last = min(r0 + BQ, rows) - 1;
    const long long pos_first = q0 + r0 / hg, pos_last = q0 + last / hg;
    const int block_lo = max(mask.lo(pos_first), kv_from);
    const int block_hi = min(mask.hi(pos_last), kv_to);
    // rows whose keys all fall in every tile they visit need no per-element mask
    const int vis_lo = mask.lo(pos_last), vis_hi = mask.hi(pos_first);

    float m[TM], l[TM], acc[TM][NV][4];
#pragma unroll
    for (int i = 0; i < TM; i++) {
        int row = r0 + ty + 16 * i;
        if ((flags & IN_STATE) && row < rows) {
            m[i] = st_m[row];
            l[i] = st_l[row];
#pragma unroll
            for (int j = 0; j < NV; j++)
#pragma unroll
                for (int c = 0; c < 4; c++) {
                    int col = j * 32 + tx * 4 + c;
                    acc[i][j][c] = col < dv ? st_acc[(long long) row * dv + col] : 0.f;
                }
        } else {
            m[i] = -CUDART_INF_F;
            l[i] = 0.f;
#pragma unroll
            for (int j = 0; j < NV; j++)
#pragma unroll
                for (int c = 0; c < 4; c++) acc[i][j][c] = 0.f;
        }
    }

    if (block_lo < block_hi) {
        // 16-byte asynchronous copies need 16-byte aligned rows; otherwise plain loads (same layout)
        const bool vec_k = d % 4 == 0 && k_stride % 4 == 0 && (reinterpret_cast<unsigned long long>(k) & 15) == 0;
        const bool vec_v = dv % 4 == 0 && v_stride % 4 == 0 && (reinterpret_cast<unsigned long long>(v) & 15) == 0;
        // tiles aligned to absolute key positions, so a row's tiles do not depend on its block
        const int t_first = block_lo / BK, t_last = (block_hi - 1) / BK;
        load_kv_tile<BK, DP, SK>(sK, k, k_stride, d, t_first * BK, kv_from, kv_to, kv_base, vec_k);
        cp_async_commit();
        for (int t = t_first; t <= t_last; t++) {
            const int kbase = t * BK;
            cp_async_wait_all();  // this thread's part of K(t)
            __syncthreads();      // all of K(t) (and sQ) visible; every warp is past P V of tile t - 1
            load_kv_tile<BK, DVP, SV>(sV, v, v_stride, dv, kbase, kv_from, kv_to, kv_base, vec_v);
            cp_async_commit();

            // S = Q K^T for TM rows x TN keys; each score sums over the columns in ascending order
            float s[TM][TN];
#pragma unroll
            for (int i = 0; i < TM; i++)
#pragma unroll
                for (int j = 0; j < TN; j++) s[i][j] = 0.f;
            // not unrolled: each step already has TM x TN independent chains, and unrolling spills (ptxas)
#pragma unroll 1
            for (int c = 0; c < DP; c += 4) {
                float4 qa[TM];
#pragma unroll
                for (int i = 0; i < TM; i++) qa[i] = *reinterpret_cast<const float4*>(&sQ[(ty + 16 * i) * SQ + c]);
#pragma unroll
                for (int j = 0; j < TN; j++) {
                    float4 kb = *reinterpret_cast<const float4*>(&sK[(tx + 8 * j) * SK + c]);
#pragma unroll
                    for (int i = 0; i < TM; i++) {
                        s[i][j] = fmaf(qa[i].x, kb.x, s[i][j]);
                        s[i][j] = fmaf(qa[i].y, kb.y, s[i][j]);
                        s[i][j] = fmaf(qa[i].z, kb.z, s[i][j]);
                        s[i][j] = fmaf(qa[i].w, kb.w, s[i][j]);
                    }
                }
            }

            if (cap > 0.f) {
#pragma unroll
                for (int i = 0; i < TM; i++)
#pragma unroll
                    for (int j = 0; j < TN; j++) s[i][j] = cap * tanhf(s[i][j]);
            }
            // per-element mask only where some row of the block does not see the whole tile
            const bool full = vis_lo <= kbase && vis_hi >= kbase + BK && kbase + BK <= kv_to && kbase >= kv_from;
            if (!full) {
#pragma unroll
                for (int i = 0; i < TM; i++) {
                    // the row's bounds, intersected with the launch's key range (recomputed here, on the few
                    // partial tiles, rather than held in registers across the loop)
                    long long pos = q0 + min(r0 + ty + 16 * i, rows - 1) / hg;
                    int lo = max(mask.lo(pos), kv_from), hi = min(mask.hi(pos), kv_to);
#pragma unroll
                    for (int j = 0; j < TN; j++) {
                        int key = kbase + tx + 8 * j;
                        if (key < lo || key >= hi) s[i][j] = -CUDART_INF_F;
                    }
                }
            }

            // online softmax: m' = max(m, max_j s_j), alpha = 2^(m - m'), p = 2^(s - m')
#pragma unroll
            for (int i = 0; i < TM; i++) {
                float mx = s[i][0];
#pragma unroll
                for (int j = 1; j < TN; j++) mx = fmaxf(mx, s[i][j]);
                mx = warp_max8(mx);
                float mn = fmaxf(m[i], mx);
                float alpha, sum = 0.f;
                if (mn == -CUDART_INF_F) {  // no key seen yet: leave the summary as it is
                    alpha = 1.f;
#pragma unroll
                    for (int j = 0; j < TN; j++) s[i][j] = 0.f;
                } else {
                    alpha = exp2f(m[i] - mn);
#pragma unroll
                    for (int j = 0; j < TN; j++) {
                        s[i][j] = exp2f(s[i][j] - mn);
                        sum += s[i][j];
                    }
                }
                sum = warp_sum8(sum);
                l[i] = l[i] * alpha + sum;
                m[i] = mn;
#pragma unroll
                for (int j = 0; j < NV; j++)
#pragma unroll
                    for (int c = 0; c < 4; c++) acc[i][j][c] *= alpha;
                // P into the warp's rows of sP (the barrier above ordered it after their last reads)
#pragma unroll
                for (int j = 0; j < TN; j++) sP[(ty + 16 * i) * SP + tx + 8 * j] = s[i][j];
            }

            cp_async_wait_all();  // this thread's part of V(t)
            __syncthreads();      // all of V(t) and the warp's P visible; every warp is done with sK
            if (t < t_last) {
                load_kv_tile<BK, DP, SK>(sK, k, k_stride, d, kbase + BK, kv_from, kv_to, kv_base, vec_k);
                cp_async_commit();
            }

            // acc += P V for TM rows x NV float4 column groups, keys in ascending order
#pragma unroll 1
            for (int kk = 0; kk < BK; kk += 4) {
                float4 pa[TM];
#pragma unroll
                for (int i = 0; i < TM; i++) pa[i] = *reinterpret_cast<const float4*>(&sP[(ty + 16 * i) * SP + kk]);
#pragma unroll
                for (int u = 0; u < 4; u++) {
#pragma unroll
                    for (int j = 0; j < NV; j++) {
                        float4 vv = *reinterpret_cast<const float4*>(&sV[(kk + u) * SV + j * 32 + tx * 4]);
#pragma unroll
                        for (int i = 0; i < TM; i++) {
                            float p = u == 0 ? pa[i].x : u == 1 ? pa[i].y : u == 2 ? pa[i].z : pa[i].w;
                            acc[i][j][0] = fmaf(p, vv.x, acc[i][j][0]);
                            acc[i][j][1] = fmaf(p, vv.y, acc[i][j][1]);
                            acc[i][j][2] = fmaf(p, vv.z, acc[i][j][2]);
                            acc[i][j][3] = fmaf(p, vv.w, acc[i][j][3]);
                        }
                    }
                }
            }
        }
    }

    // results
#pragma unroll
    for (int i = 0; i < TM; i++) {
        int row = r0 + ty + 16 * i;
        if (row >= rows) continue;
        if (flags & OUT_STATE) {
            if (tx == 0) {
                st_m[row] = m[i];
                st_l[row] = l[i];
            }
#pragma unroll
            for (int j = 0; j < NV; j++)
#pragma unroll
                for (int c = 0; c < 4; c++) {
                    int col = j * 32 + tx * 4 + c;
                    if (col < dv) st_acc[(long long) row * dv + col] = acc[i][j][c];
                }
        }
        if (flags & OUT_FINAL) {
            float inv = l[i] > 0.f ? 1.f / l[i] : 0.f;
            if (tx == 0 && lse != nullptr) {
                lse[row] = l[i] > 0.f ? (m[i] + log2f(l[i])) * 0.69314718055994531f : -CUDART_INF_F;
            }
#pragma unroll
            for (int j = 0; j < NV; j++)
#pragma unroll
                for (int c = 0; c < 4; c++) {
                    int col = j * 32 + tx * 4 + c;
                    if (col < dv) o[(long long) row * dv + col] = acc[i][j][c] * inv;
                }
        }
    }
}

}  // namespace

// Rows per thread (tile rows / 16) and keys per thread (tile keys / 8) of an instantiation; CudaAttention's
// tileRows, tileKeys and sharedBytes mirror them. D, Dv <= 64: 128 x 64 tiles (8 x 8 register tiles, about
// 103 KiB of shared memory: 2 blocks per SM). Up to 128: 64 x 32 (3 blocks per SM at 128/128); above 128:
// 32 x 32, so the accumulators stay in registers.
#define LONGATTN_TM(DP, DVP) (((DP) <= 64 && (DVP) <= 64) ? 8 : ((DP) <= 128 && (DVP) <= 128) ? 4 : 2)
#define LONGATTN_TN(DP, DVP) (((DP) <= 64 && (DVP) <= 64) ? 8 : 4)
// Blocks per SM the registers must allow: 3 for the 64-row tiles (at 128/128 shared memory allows 3 too,
// 12 warps), 2 otherwise (shared memory allows no more at 64/64 and 256/256).
#define LONGATTN_MIN_BLOCKS(DP, DVP) (LONGATTN_TM(DP, DVP) == 4 ? 3 : 2)

// Grid: x = query tiles (ordered heaviest first when the mask grows with the row), y = key splits.
// With splits > 1 each split writes its summary to the state buffers at [split][rows] (OUT_STATE) and
// longattn_merge_splits combines them in split order.
#define LONGATTN_DEFINE(DP, DVP)                                                                          \
    extern "C" __global__ void __launch_bounds__(THREADS, LONGATTN_MIN_BLOCKS(DP, DVP)) longattn_fwd_##DP##_##DVP( \
            const float* __restrict__ q, const float* __restrict__ k, const float* __restrict__ v,         \
            float* __restrict__ o, float* __restrict__ lse, float* __restrict__ st_m,                     \
            float* __restrict__ st_l, float* __restrict__ st_acc, int rows, int hg, long long q0, int d,   \
            int dv, long long k_stride, long long v_stride, long long offset, int left, int right, int sk, \
            int kv_from, int kv_to, int kv_base, int split_keys, float cap, int flags, int reverse) {                  \
        int tile = reverse ? gridDim.x - 1 - blockIdx.x : blockIdx.x;                                     \
        int from = kv_from, to = kv_to;                                                                   \
        if (gridDim.y > 1) {                                                                              \
            long long a = (long long) kv_from + (long long) blockIdx.y * split_keys;                      \
            from = (int) min((long long) kv_to, a);                                                       \
            to = (int) min((long long) kv_to, a + split_keys);                                            \
            long long base = (long long) blockIdx.y * rows;                                               \
            st_m += base;                                                                                 \
            st_l += base;                                                                                 \
            st_acc += base * dv;                                                                          \
        }                                                                                                 \
        Mask mask{offset, left, right, sk};                                                               \
        attention_tile_loop<DP, DVP, LONGATTN_TM(DP, DVP), LONGATTN_TN(DP, DVP)>(q, k, v, o, lse, st_m,    \
                st_l, st_acc, rows, hg, q0, d, dv, k_stride, v_stride, mask, from, to, kv_base, cap, flags, tile); \
    }

LONGATTN_DEFINE(32, 32)
LONGATTN_DEFINE(32, 64)
LONGATTN_DEFINE(32, 128)
LONGATTN_DEFINE(32, 256)
LONGATTN_DEFINE(64, 32)
LONGATTN_DEFINE(64, 64)
LONGATTN_DEFINE(64, 128)
LONGATTN_DEFINE(64, 256)
LONGATTN_DEFINE(128, 32)
LONGATTN_DEFINE(128, 64)
LONGATTN_DEFINE(128, 128)
LONGATTN_DEFINE(128, 256)
LONGATTN_DEFINE(256, 32)
LONGATTN_DEFINE(256, 64)
LONGATTN_DEFINE(256, 128)
LONGATTN_DEFINE(256, 256)

// Merges the summaries of `splits` disjoint key ranges ([split][rows], [split][rows][dv]) in split order:
// m = max m_s, l = sum l_s 2^(m_s - m), acc = sum acc_s 2^(m_s - m); then writes O and LSE (OUT_FINAL)
// and/or the merged summary into the first split's slot (OUT_STATE). One thread per (row, column).
extern "C" __global__ void longattn_merge_splits(const float* __restrict__ part_m, const float* __restrict__ part_l,
                                                 const float* __restrict__ part_acc, float* __restrict__ o,
                                                 float* __restrict__ lse, float* __restrict__ out_m,
                                                 float* __restrict__ out_l, float* __restrict__ out_acc,
                                                 int rows, int dv, int splits, int flags) {
    long long idx = (long long) blockIdx.x * blockDim.x + threadIdx.x;
    if (idx >= (long long) rows * dv) return;
    int row = (int) (idx / dv), col = (int) (idx - (long long) row * dv);
    float mx = -CUDART_INF_F;
    for (int s = 0; s < splits; s++) mx = fmaxf(mx, part_m[(long long) s * rows + row]);
    float l = 0.f, a = 0.f;
    if (mx != -CUDART_INF_F) {
        for (int s = 0; s < splits; s++) {
            float ms = part_m[(long long) s * rows + row];
            if (ms == -CUDART_INF_F) continue;
            float w = exp2f(ms - mx);
            l = fmaf(part_l[(long long) s * rows + row], w, l);
            a = fmaf(part_acc[((long long) s * rows + row) * dv + col], w, a);
        }
    }
    if (flags & OUT_FINAL) {
        o[idx] = l > 0.f ? a / l : 0.f;
        if (col == 0 && lse != nullptr) lse[row] = l > 0.f ? (mx + log2f(l)) * 0.69314718055994531f : -CUDART_INF_F;
    }
    if (flags & OUT_STATE) {
        out_acc[idx] = a;
        if (col == 0) {
            out_m[row] = mx;
            out_l[row] = l;
        }
    }
}

// The tensor-core kernels (--precision tf32, fp16, bf16) share this file's helpers, masks and merge.
#include "attention_tc.cuh"
#include "attention_wg.cuh"
