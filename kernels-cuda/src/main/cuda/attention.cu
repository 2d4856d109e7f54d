// Exact (float32) flash-attention forward for LongAttn, loaded through JCuda's driver API.
//
// One launch covers many query tiles of one kv head group: "rows" are the (token, query head) pairs of
// the group, token-major ([tokens][hg]), so the hg query heads that share a kv head share its K/V tiles.
// Q is already multiplied by scale * log2(e) (or scale / softcap) on the host, so scores are in log2
// units and the softmax uses exp2; with a soft cap c the score is c * log2(e) * tanh(q . k).
//
// Determinism: key tiles are aligned to absolute key positions (multiples of BK from key 0, or from the
// split boundary, which is itself a multiple of BK), each row's running summary is updated tile by tile in
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

constexpr int THREADS = 128;  // 16 row groups x 8 column groups
constexpr int BK = 64;        // keys per tile
constexpr int PAD = 4;        // keeps float4 alignment; spreads transposed stores over 8 banks

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

// TM query rows and 8 keys per thread for scores; TM rows and DVP/8 value columns per thread for O.
// DP and DVP are D and Dv rounded up to a multiple of 32 (the padding is zero-filled in shared memory).
template <int DP, int DVP, int TM>
__device__ __forceinline__ void attention_tile_loop(
        const float* __restrict__ q, const float* __restrict__ k, const float* __restrict__ v,
        float* __restrict__ o, float* __restrict__ lse,
        float* __restrict__ st_m, float* __restrict__ st_l, float* __restrict__ st_acc,
        int rows, int hg, long long q0, int d, int dv, long long k_stride, long long v_stride,
        Mask mask, int kv_from, int kv_to, int kv_base, float cap, int flags, int tile) {
    constexpr int BQ = 16 * TM;
    constexpr int SQ = BQ + PAD;   // row stride of sQ (transposed: [DP][SQ])
    constexpr int SK = BK + PAD;   // row stride of sK (transposed: [DP][SK])
    constexpr int SV = DVP;        // row stride of sV ([BK][SV])
    constexpr int SP = BQ + PAD;   // row stride of sP (transposed: [BK][SP])
    constexpr int NV = DVP / 32;   // float4 column groups per thread for O
    extern __shared__ __align__(16) float smem[];
    float* sQ = smem;
    float* sK = sQ + DP * SQ;
    float* sV = sK + DP * SK;
    float* sP = sV + BK * SV;

    const int tid = threadIdx.x;
    const int ty = tid >> 3, tx = tid & 7;
    const int r0 = tile * BQ;

    // the block's rows, transposed into sQ (rows past the end and columns past d are zero)
    for (int idx = tid; idx < BQ * DP; idx += THREADS) {
        int r = idx / DP, c = idx - r * DP;
        int row = r0 + r;
        float x = 0.f;
        if (row < rows && c < d) x = q[(long long) row * d + c];
        sQ[c * SQ + r] = x;
    }

    // per-row key bounds, intersected with the launch's key range
    int lo[TM], hi[TM];
#pragma unroll
    for (int i = 0; i < TM; i++) {
        int row = min(r0 + ty * TM + i, rows - 1);
        long long pos = q0 + row / hg;
        lo[i] = max(mask.lo(pos), kv_from);
        hi[i] = min(mask.hi(pos), kv_to);
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
        int row = r0 + ty * TM + i;
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
        // tiles aligned to absolute key positions (kv_from is a multiple of BK)
        const int t_first = block_lo / BK, t_last = (block_hi - 1) / BK;
        for (int t = t_first; t <= t_last; t++) {
            const int kbase = t * BK;
            __syncthreads();  // the previous tile's sK, sV, sP are no longer read
            for (int idx = tid; idx < BK * DP; idx += THREADS) {
                int kk = idx / DP, c = idx - kk * DP;
                int key = kbase + kk;
                float x = 0.f;
                if (key >= kv_from && key < kv_to && c < d) x = k[(long long) (key - kv_base) * k_stride + c];
                sK[c * SK + kk] = x;
            }
            for (int idx = tid; idx < BK * DVP; idx += THREADS) {
                int kk = idx / DVP, c = idx - kk * DVP;
                int key = kbase + kk;
                float x = 0.f;
                if (key >= kv_from && key < kv_to && c < dv) x = v[(long long) (key - kv_base) * v_stride + c];
                sV[kk * SV + c] = x;
            }
            __syncthreads();

            // S = Q K^T for TM rows x 8 keys (keys tx*4..+3 and 32+tx*4..+3)
            float s[TM][8];
#pragma unroll
            for (int i = 0; i < TM; i++)
#pragma unroll
                for (int c = 0; c < 8; c++) s[i][c] = 0.f;
#pragma unroll 8
            for (int c = 0; c < DP; c++) {
                float qa[TM];
                if constexpr (TM == 4) {
                    float4 t4 = *reinterpret_cast<const float4*>(&sQ[c * SQ + ty * 4]);
                    qa[0] = t4.x; qa[1] = t4.y; qa[2] = t4.z; qa[3] = t4.w;
                } else {
                    float2 t2 = *reinterpret_cast<const float2*>(&sQ[c * SQ + ty * 2]);
                    qa[0] = t2.x; qa[1] = t2.y;
                }
                float4 ka = *reinterpret_cast<const float4*>(&sK[c * SK + tx * 4]);
                float4 kb = *reinterpret_cast<const float4*>(&sK[c * SK + 32 + tx * 4]);
#pragma unroll
                for (int i = 0; i < TM; i++) {
                    s[i][0] = fmaf(qa[i], ka.x, s[i][0]);
                    s[i][1] = fmaf(qa[i], ka.y, s[i][1]);
                    s[i][2] = fmaf(qa[i], ka.z, s[i][2]);
                    s[i][3] = fmaf(qa[i], ka.w, s[i][3]);
                    s[i][4] = fmaf(qa[i], kb.x, s[i][4]);
                    s[i][5] = fmaf(qa[i], kb.y, s[i][5]);
                    s[i][6] = fmaf(qa[i], kb.z, s[i][6]);
                    s[i][7] = fmaf(qa[i], kb.w, s[i][7]);
                }
            }

            if (cap > 0.f) {
#pragma unroll
                for (int i = 0; i < TM; i++)
#pragma unroll
                    for (int c = 0; c < 8; c++) s[i][c] = cap * tanhf(s[i][c]);
            }
            // per-element mask only where some row of the block does not see the whole tile
            const bool full = vis_lo <= kbase && vis_hi >= kbase + BK && kbase + BK <= kv_to && kbase >= kv_from;
            if (!full) {
#pragma unroll
                for (int i = 0; i < TM; i++)
#pragma unroll
                    for (int c = 0; c < 8; c++) {
                        int key = kbase + (c >> 2) * 32 + tx * 4 + (c & 3);
                        if (key < lo[i] || key >= hi[i]) s[i][c] = -CUDART_INF_F;
                    }
            }

            // online softmax: m' = max(m, max_j s_j), alpha = 2^(m - m'), p = 2^(s - m')
#pragma unroll
            for (int i = 0; i < TM; i++) {
                float mx = s[i][0];
#pragma unroll
                for (int c = 1; c < 8; c++) mx = fmaxf(mx, s[i][c]);
                mx = warp_max8(mx);
                float mn = fmaxf(m[i], mx);
                float alpha, sum = 0.f;
                if (mn == -CUDART_INF_F) {  // no key seen yet: leave the summary as it is
                    alpha = 1.f;
#pragma unroll
                    for (int c = 0; c < 8; c++) s[i][c] = 0.f;
                } else {
                    alpha = exp2f(m[i] - mn);
#pragma unroll
                    for (int c = 0; c < 8; c++) {
                        s[i][c] = exp2f(s[i][c] - mn);
                        sum += s[i][c];
                    }
                }
                sum = warp_sum8(sum);
                l[i] = l[i] * alpha + sum;
                m[i] = mn;
#pragma unroll
                for (int j = 0; j < NV; j++)
#pragma unroll
                    for (int c = 0; c < 4; c++) acc[i][j][c] *= alpha;
            }
            // P^T into shared memory: [key][row]
#pragma unroll
            for (int c = 0; c < 8; c++) {
                int kk = (c >> 2) * 32 + tx * 4 + (c & 3);
#pragma unroll
                for (int i = 0; i < TM; i++) sP[kk * SP + ty * TM + i] = s[i][c];
            }
            __syncthreads();

            // acc += P V for TM rows x (NV float4 column groups)
#pragma unroll 4
            for (int kk = 0; kk < BK; kk++) {
                float pa[TM];
                if constexpr (TM == 4) {
                    float4 t4 = *reinterpret_cast<const float4*>(&sP[kk * SP + ty * 4]);
                    pa[0] = t4.x; pa[1] = t4.y; pa[2] = t4.z; pa[3] = t4.w;
                } else {
                    float2 t2 = *reinterpret_cast<const float2*>(&sP[kk * SP + ty * 2]);
                    pa[0] = t2.x; pa[1] = t2.y;
                }
#pragma unroll
                for (int j = 0; j < NV; j++) {
                    float4 vv = *reinterpret_cast<const float4*>(&sV[kk * SV + j * 32 + tx * 4]);
#pragma unroll
                    for (int i = 0; i < TM; i++) {
                        acc[i][j][0] = fmaf(pa[i], vv.x, acc[i][j][0]);
                        acc[i][j][1] = fmaf(pa[i], vv.y, acc[i][j][1]);
                        acc[i][j][2] = fmaf(pa[i], vv.z, acc[i][j][2]);
                        acc[i][j][3] = fmaf(pa[i], vv.w, acc[i][j][3]);
                    }
                }
            }
        }
    }

    // results
#pragma unroll
    for (int i = 0; i < TM; i++) {
        int row = r0 + ty * TM + i;
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

// Rows per tile for the shape: 64 (4 per thread), or 32 when D or Dv exceeds 128 (registers).
#define LONGATTN_TM(DP, DVP) (((DP) > 128 || (DVP) > 128) ? 2 : 4)

// Grid: x = query tiles (ordered heaviest first when the mask grows with the row), y = key splits.
// With splits > 1 each split writes its summary to the state buffers at [split][rows] (OUT_STATE) and
// longattn_merge_splits combines them in split order.
#define LONGATTN_DEFINE(DP, DVP)                                                                          \
    extern "C" __global__ void __launch_bounds__(THREADS) longattn_fwd_##DP##_##DVP(                       \
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
        attention_tile_loop<DP, DVP, LONGATTN_TM(DP, DVP)>(q, k, v, o, lse, st_m, st_l, st_acc, rows, hg,  \
                q0, d, dv, k_stride, v_stride, mask, from, to, kv_base, cap, flags, tile);                         \
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
