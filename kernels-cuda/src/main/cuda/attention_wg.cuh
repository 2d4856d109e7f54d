// Hopper flash-attention forward for 16-bit operands (--precision fp16, bf16) on warpgroup MMA (wgmma,
// sm_90a), included by attention.cu after the mma.sync kernels. Built into its own sm_90a cubin, which the
// host loads beside the fatbin on compute capability 9.0 only; elsewhere these kernels compile to nothing
// and the host runs attention_tc.cuh's kernels. The launch parameters, flags, masks, summary format and
// split/merge scheme are the mma.sync kernels', so the host side and longattn_merge_splits serve both.
//  - a block has two consumer warpgroups (256 threads, and a producer warpgroup at width 128); each owns 64 query rows (wgmma's M) for the whole key loop:
//    running max, sum and O accumulators in registers, and Q's fragments too (wgmma's A from registers);
//  - S = Q K^T per tile of 64 keys is m64n64k16 with K read by the tensor cores from shared memory, O += P V
//    is m64nDk16 with P in registers (the S accumulator layout is the A operand layout, as with mma.sync) and
//    V read from shared memory as an N-major (transposed) operand;
//  - at width 64 every thread copies K and V tiles with cp.async into 128-byte-swizzled rows, two stages, so
//    tile t + 1 loads during tile t, behind one block barrier per tile; two blocks share an SM (at most 128
//    registers), so four warpgroups interleave their softmax and matrix products;
//  - at width 128 (195 registers: one block per SM) a third, producer warpgroup copies the tiles into three
//    stages and the two consumer warpgroups wait on mbarriers (full when the copies landed, empty when both
//    consumers' products have read a stage), each at its own pace; setmaxnreg moves the producer's registers
//    to the consumers. With the block barrier of width 64 instead, the two warpgroups met at every tile and
//    the kernel ran 333 TFLOP/s at S = 16384, H = 8 on an H200; with this, 396 (one producer warp: 199).
//    FA3's overlap inside a warpgroup (S(t) issued with P(t - 1) V(t - 1), the softmax behind it) measured
//    +1.4% over the block-barrier kernel at width 128 and spilled at 64: not kept.
// Determinism is the mma.sync kernels' argument: tiles of 64 keys aligned to absolute key positions,
// ascending tile order per row, fixed shuffle trees, an MMA's accumulation order fixed by the hardware, and a
// row never reads another row's data, so the bits never depend on the partitioning. At width 128 they differ
// from the mma.sync kernel's (its tiles are 32 keys there), so they depend on whether the GPU is a Hopper;
// at width 64, where both use tiles of 64 keys, they came out identical in every comparison made.

namespace {

#if defined(__CUDA_ARCH_FEAT_SM90_ALL)

constexpr int WG_GROUPS = 2;                 // warpgroups per block
constexpr int WG_THREADS = 128 * WG_GROUPS;  // the consumer warpgroups' threads
constexpr int WG_BK = 64;                    // keys per tile
constexpr int WG_ROW_BYTES = 128;            // one swizzled shared row: 64 16-bit elements

// A shared-memory matrix descriptor: start address, leading and stride byte offsets (all in 16-byte units),
// 128-byte swizzle. Tiles start at 1024-byte boundaries, so the swizzle phase of a row is its index mod 8.
__device__ __forceinline__ unsigned long long wg_desc(unsigned addr, unsigned lbo, unsigned sbo) {
    return (unsigned long long) ((addr & 0x3FFFFu) >> 4) | ((unsigned long long) (lbo >> 4) << 16)
           | ((unsigned long long) (sbo >> 4) << 32) | (1ull << 62);
}
__device__ __forceinline__ void wg_fence() { asm volatile("wgmma.fence.sync.aligned;\n" ::: "memory"); }
__device__ __forceinline__ void wg_commit() { asm volatile("wgmma.commit_group.sync.aligned;\n" ::: "memory"); }
__device__ __forceinline__ void wg_wait_all() { asm volatile("wgmma.wait_group.sync.aligned 0;\n" ::: "memory"); }
// shared memory written by cp.async (the generic proxy) and read next by wgmma (the async proxy)
__device__ __forceinline__ void fence_proxy_async() { asm volatile("fence.proxy.async.shared::cta;\n" ::: "memory"); }
__device__ __forceinline__ void cp_async_wait_one() { asm volatile("cp.async.wait_group 1;\n" ::: "memory"); }
// mbarriers of the warp-specialized kernels: init (one thread, before a block barrier), arrive, wait on a phase
__device__ __forceinline__ void mbar_init(unsigned a, unsigned count) {
    asm volatile("mbarrier.init.shared::cta.b64 [%0], %1;\n" ::"r"(a), "r"(count) : "memory");
}
__device__ __forceinline__ void mbar_arrive(unsigned a) {
    asm volatile("mbarrier.arrive.shared::cta.b64 _, [%0];\n" ::"r"(a) : "memory");
}
__device__ __forceinline__ void mbar_wait(unsigned a, unsigned parity) {
    unsigned done;
    do {
        asm volatile("{\n.reg .pred p;\nmbarrier.try_wait.parity.shared::cta.b64 p, [%1], %2;\nselp.u32 %0, 1, 0, p;\n}\n"
                     : "=r"(done) : "r"(a), "r"(parity) : "memory");
    } while (!done);
}
// keeps the compiler from moving reads or writes of an accumulator across an asynchronous MMA's issue or wait
template <int N>
__device__ __forceinline__ void wg_hold(float (&x)[N]) {
#pragma unroll
    for (int i = 0; i < N; i++) asm volatile("" : "+f"(x[i])::"memory");
}

// D (+)= A B for m64nNk16: a 4 registers of the warp's 16 rows (the m16n8k16 A layout), B by descriptor,
// TNSP = 1 for an N-major B. scale_d = 0 overwrites D.
template <int TNSP>
__device__ __forceinline__ void wgmma_m64n64(Bf16, float (&d)[32], const unsigned (&a)[4], unsigned long long desc, int scale_d) {
    asm volatile(
        "{\n.reg .pred p;\nsetp.ne.b32 p, %38, 0;\n"
        "wgmma.mma_async.sync.aligned.m64n64k16.f32.bf16.bf16 "
        "{%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, %16, %17, %18, %19, %20, %21, %22, %23, %24, %25, %26, %27, %28, %29, %30, %31}, "
        "{%32, %33, %34, %35}, %36, p, 1, 1, %37;\n}\n"
        : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3]), "+f"(d[4]), "+f"(d[5]), "+f"(d[6]), "+f"(d[7]), "+f"(d[8]), "+f"(d[9]), "+f"(d[10]), "+f"(d[11]), "+f"(d[12]), "+f"(d[13]), "+f"(d[14]), "+f"(d[15]), "+f"(d[16]), "+f"(d[17]), "+f"(d[18]), "+f"(d[19]), "+f"(d[20]), "+f"(d[21]), "+f"(d[22]), "+f"(d[23]), "+f"(d[24]), "+f"(d[25]), "+f"(d[26]), "+f"(d[27]), "+f"(d[28]), "+f"(d[29]), "+f"(d[30]), "+f"(d[31])
        : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "l"(desc), "n"(TNSP), "r"(scale_d));
}

template <int TNSP>
__device__ __forceinline__ void wgmma_m64n128(Bf16, float (&d)[64], const unsigned (&a)[4], unsigned long long desc, int scale_d) {
    asm volatile(
        "{\n.reg .pred p;\nsetp.ne.b32 p, %70, 0;\n"
        "wgmma.mma_async.sync.aligned.m64n128k16.f32.bf16.bf16 "
        "{%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, %16, %17, %18, %19, %20, %21, %22, %23, %24, %25, %26, %27, %28, %29, %30, %31, %32, %33, %34, %35, %36, %37, %38, %39, %40, %41, %42, %43, %44, %45, %46, %47, %48, %49, %50, %51, %52, %53, %54, %55, %56, %57, %58, %59, %60, %61, %62, %63}, "
        "{%64, %65, %66, %67}, %68, p, 1, 1, %69;\n}\n"
        : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3]), "+f"(d[4]), "+f"(d[5]), "+f"(d[6]), "+f"(d[7]), "+f"(d[8]), "+f"(d[9]), "+f"(d[10]), "+f"(d[11]), "+f"(d[12]), "+f"(d[13]), "+f"(d[14]), "+f"(d[15]), "+f"(d[16]), "+f"(d[17]), "+f"(d[18]), "+f"(d[19]), "+f"(d[20]), "+f"(d[21]), "+f"(d[22]), "+f"(d[23]), "+f"(d[24]), "+f"(d[25]), "+f"(d[26]), "+f"(d[27]), "+f"(d[28]), "+f"(d[29]), "+f"(d[30]), "+f"(d[31]), "+f"(d[32]), "+f"(d[33]), "+f"(d[34]), "+f"(d[35]), "+f"(d[36]), "+f"(d[37]), "+f"(d[38]), "+f"(d[39]), "+f"(d[40]), "+f"(d[41]), "+f"(d[42]), "+f"(d[43]), "+f"(d[44]), "+f"(d[45]), "+f"(d[46]), "+f"(d[47]), "+f"(d[48]), "+f"(d[49]), "+f"(d[50]), "+f"(d[51]), "+f"(d[52]), "+f"(d[53]), "+f"(d[54]), "+f"(d[55]), "+f"(d[56]), "+f"(d[57]), "+f"(d[58]), "+f"(d[59]), "+f"(d[60]), "+f"(d[61]), "+f"(d[62]), "+f"(d[63])
        : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "l"(desc), "n"(TNSP), "r"(scale_d));
}

template <int TNSP>
__device__ __forceinline__ void wgmma_m64n64(Fp16, float (&d)[32], const unsigned (&a)[4], unsigned long long desc, int scale_d) {
    asm volatile(
        "{\n.reg .pred p;\nsetp.ne.b32 p, %38, 0;\n"
        "wgmma.mma_async.sync.aligned.m64n64k16.f32.f16.f16 "
        "{%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, %16, %17, %18, %19, %20, %21, %22, %23, %24, %25, %26, %27, %28, %29, %30, %31}, "
        "{%32, %33, %34, %35}, %36, p, 1, 1, %37;\n}\n"
        : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3]), "+f"(d[4]), "+f"(d[5]), "+f"(d[6]), "+f"(d[7]), "+f"(d[8]), "+f"(d[9]), "+f"(d[10]), "+f"(d[11]), "+f"(d[12]), "+f"(d[13]), "+f"(d[14]), "+f"(d[15]), "+f"(d[16]), "+f"(d[17]), "+f"(d[18]), "+f"(d[19]), "+f"(d[20]), "+f"(d[21]), "+f"(d[22]), "+f"(d[23]), "+f"(d[24]), "+f"(d[25]), "+f"(d[26]), "+f"(d[27]), "+f"(d[28]), "+f"(d[29]), "+f"(d[30]), "+f"(d[31])
        : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "l"(desc), "n"(TNSP), "r"(scale_d));
}

template <int TNSP>
__device__ __forceinline__ void wgmma_m64n128(Fp16, float (&d)[64], const unsigned (&a)[4], unsigned long long desc, int scale_d) {
    asm volatile(
        "{\n.reg .pred p;\nsetp.ne.b32 p, %70, 0;\n"
        "wgmma.mma_async.sync.aligned.m64n128k16.f32.f16.f16 "
        "{%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, %16, %17, %18, %19, %20, %21, %22, %23, %24, %25, %26, %27, %28, %29, %30, %31, %32, %33, %34, %35, %36, %37, %38, %39, %40, %41, %42, %43, %44, %45, %46, %47, %48, %49, %50, %51, %52, %53, %54, %55, %56, %57, %58, %59, %60, %61, %62, %63}, "
        "{%64, %65, %66, %67}, %68, p, 1, 1, %69;\n}\n"
        : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3]), "+f"(d[4]), "+f"(d[5]), "+f"(d[6]), "+f"(d[7]), "+f"(d[8]), "+f"(d[9]), "+f"(d[10]), "+f"(d[11]), "+f"(d[12]), "+f"(d[13]), "+f"(d[14]), "+f"(d[15]), "+f"(d[16]), "+f"(d[17]), "+f"(d[18]), "+f"(d[19]), "+f"(d[20]), "+f"(d[21]), "+f"(d[22]), "+f"(d[23]), "+f"(d[24]), "+f"(d[25]), "+f"(d[26]), "+f"(d[27]), "+f"(d[28]), "+f"(d[29]), "+f"(d[30]), "+f"(d[31]), "+f"(d[32]), "+f"(d[33]), "+f"(d[34]), "+f"(d[35]), "+f"(d[36]), "+f"(d[37]), "+f"(d[38]), "+f"(d[39]), "+f"(d[40]), "+f"(d[41]), "+f"(d[42]), "+f"(d[43]), "+f"(d[44]), "+f"(d[45]), "+f"(d[46]), "+f"(d[47]), "+f"(d[48]), "+f"(d[49]), "+f"(d[50]), "+f"(d[51]), "+f"(d[52]), "+f"(d[53]), "+f"(d[54]), "+f"(d[55]), "+f"(d[56]), "+f"(d[57]), "+f"(d[58]), "+f"(d[59]), "+f"(d[60]), "+f"(d[61]), "+f"(d[62]), "+f"(d[63])
        : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "l"(desc), "n"(TNSP), "r"(scale_d));
}

// Keys [kbase, kbase + WG_BK) of a packed K or V ([keys][DP], from key `base`) into a swizzled shared tile at
// byte address dst: 16-byte chunk c of key kk goes to column block c / 8 (WG_BK rows of 128 bytes each), row
// kk, chunk (c mod 8) xor (kk mod 8). Keys outside [from, to) are zero-filled without being read.
template <typename E, int DP, int NT>
__device__ __forceinline__ void wg_load_tile(unsigned dst, const E* __restrict__ src, int kbase, int from, int to, int base,
                                             int tid) {
    constexpr int CHUNKS = DP * (int) sizeof(E) / 16;
    static_assert(WG_BK * CHUNKS % NT == 0, "every thread copies the same number of chunks");
#pragma unroll 8
    for (int n = 0; n < WG_BK * CHUNKS / NT; n++) {
        int idx = tid + n * NT;
        int kk = idx / CHUNKS, c = idx - kk * CHUNKS;
        int key = kbase + kk;
        bool ok = key >= from && key < to;
        const E* g = ok ? src + (long long) (key - base) * DP + c * 8 : src;
        unsigned s = dst + (c >> 3) * (WG_BK * WG_ROW_BYTES) + kk * WG_ROW_BYTES + (((c & 7) ^ (kk & 7)) << 4);
        asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(s), "l"(g), "r"(ok ? 16 : 0) : "memory");
    }
}

// One block: two warpgroups x 64 query rows against key tiles of 64 keys, columns padded to DP (64 or 128).
// Thread layout inside a warp's 16 rows (the wgmma accumulator layout): lane = 4 g + t holds rows g and g + 8,
// key (or value) columns 8 n + 2 t and 8 n + 2 t + 1 of every 8-wide block n, at accumulator index 4 n + 2 h + c.
template <typename P, int DP>
__device__ __forceinline__ void wg_tile_loop(
        const float* __restrict__ q, const typename Operand<P>::Elem* __restrict__ k,
        const typename Operand<P>::Elem* __restrict__ v, float* __restrict__ o, float* __restrict__ lse,
        float* __restrict__ st_m, float* __restrict__ st_l, float* __restrict__ st_acc,
        int rows, int hg, long long q0, int d, int dv, Mask mask, int kv_from, int kv_to, int kv_base, float cap,
        int flags, int tile) {
    using Op = Operand<P>;
    using E = typename Op::Elem;
    constexpr int NB = WG_BK / 8;  // 8-key blocks of S per tile
    constexpr int NO = DP / 8;     // 8-column blocks of O
    constexpr int BQ = 64 * WG_GROUPS;
    constexpr unsigned TILE_BYTES = WG_BK * DP * 2;  // one K or V tile
    // At width 128 (one block per SM) a producer warpgroup fills three stages of K/V tiles and the consumer
    // warpgroups wait on mbarriers, each on its own: no block barrier per tile ties them to the same point.
    // At width 64 two blocks share an SM, all 256 threads copy, two stages, one block barrier per tile.
    constexpr bool WS = DP == 128;
    constexpr int NS = WS ? 3 : 2;
    extern __shared__ __align__(1024) unsigned char smem_wg[];
    const unsigned smem0 = ((unsigned) __cvta_generic_to_shared(smem_wg) + 1023u) & ~1023u;
    const unsigned full0 = smem0 + NS * 2 * TILE_BYTES, empty0 = full0 + 8 * NS;  // mbarriers (WS), 8 bytes each

    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    const int g = lane >> 2, t = lane & 3;
    const int r0 = tile * BQ;
    const int wr0 = r0 + warp * 16;  // the warp's first row: warpgroup warp / 4 holds rows r0 + 64 (warp / 4) ...

    // the block's union of allowed keys: bounds are non-decreasing in the row
    const int last = min(r0 + BQ, rows) - 1;
    const long long pos_first = q0 + min(r0, last) / hg, pos_last = q0 + last / hg;
    const int block_lo = max(mask.lo(pos_first), kv_from);
    const int block_hi = min(mask.hi(pos_last), kv_to);
    const int vis_lo = mask.lo(pos_last), vis_hi = mask.hi(pos_first);

    if constexpr (WS) {
        if (threadIdx.x == 0) {
            for (int i = 0; i < NS; i++) {
                mbar_init(full0 + 8 * i, 128);         // the producer warpgroup's threads, each once its copies landed
                mbar_init(empty0 + 8 * i, WG_GROUPS);  // one thread per warpgroup, once its products read the stage
            }
            asm volatile("fence.mbarrier_init.release.cluster;\n" ::: "memory");
        }
        __syncthreads();
        if (warp >= 4 * WG_GROUPS) {  // the producer warpgroup: copies; its registers go to the consumers
            asm volatile("setmaxnreg.dec.sync.aligned.u32 64;\n" ::: "memory");
            if (block_lo < block_hi) {
                const int pt = threadIdx.x - 128 * WG_GROUPS;
                const int t_first = block_lo / WG_BK, t_last = (block_hi - 1) / WG_BK;
                int i = 0;
                for (int tt = t_first; tt <= t_last; tt++, i++) {
                    const int st = i % NS, n = i / NS;
                    if (n > 0) mbar_wait(empty0 + 8 * st, (n - 1) & 1);
                    const unsigned sK = smem0 + st * 2 * TILE_BYTES;
                    wg_load_tile<E, DP, 128>(sK, k, tt * WG_BK, kv_from, kv_to, kv_base, pt);
                    wg_load_tile<E, DP, 128>(sK + TILE_BYTES, v, tt * WG_BK, kv_from, kv_to, kv_base, pt);
                    cp_async_commit();
                    if (i > 0) {  // tile t - 1 landed: made visible to the tensor cores, then announced
                        cp_async_wait_one();
                        fence_proxy_async();
                        mbar_arrive(full0 + 8 * ((i - 1) % NS));
                    }
                }
                cp_async_wait_all();
                fence_proxy_async();
                mbar_arrive(full0 + 8 * ((i - 1) % NS));
            }
            return;
        }
        asm volatile("setmaxnreg.inc.sync.aligned.u32 216;\n" ::: "memory");
    }

    // Q fragments (wgmma's A from registers), rounded once; rows past the end and columns past d are zero
    unsigned qf[DP / 16][4];
    {
        const int ra = wr0 + g, rb = ra + 8;
#pragma unroll
        for (int ks = 0; ks < DP / 16; ks++)
#pragma unroll
            for (int u = 0; u < 4; u++) {
                int r = (u & 1) ? rb : ra;
                int c = ks * 16 + 2 * t + ((u & 2) ? 8 : 0);
                float x0 = r < rows && c < d ? q[(long long) r * d + c] : 0.f;
                float x1 = r < rows && c + 1 < d ? q[(long long) r * d + c + 1] : 0.f;
                qf[ks][u] = Op::pack2(x0, x1);
            }
    }

    // running max (log2 units), sum and O accumulators of rows g (index 0) and g + 8 (index 1)
    float m[2], l[2], acc[DP / 2];
#pragma unroll
    for (int h = 0; h < 2; h++) {
        int row = wr0 + g + 8 * h;
        bool in = (flags & IN_STATE) && row < rows;
        long long sr = state_row(row, rows);
        m[h] = in ? st_m[sr] : -CUDART_INF_F;
        l[h] = in ? st_l[sr] : 0.f;
#pragma unroll
        for (int n = 0; n < NO; n++)
#pragma unroll
            for (int c = 0; c < 2; c++) {
                int col = n * 8 + 2 * t + c;
                acc[4 * n + 2 * h + c] = in && col < dv ? st_acc[sr * dv + col] : 0.f;
            }
    }

    if (block_lo < block_hi) {
        const int t_first = block_lo / WG_BK, t_last = (block_hi - 1) / WG_BK;
        if constexpr (!WS) {
            const unsigned sK = smem0 + (t_first & 1) * 2 * TILE_BYTES;
            wg_load_tile<E, DP, WG_THREADS>(sK, k, t_first * WG_BK, kv_from, kv_to, kv_base, threadIdx.x);
            wg_load_tile<E, DP, WG_THREADS>(sK + TILE_BYTES, v, t_first * WG_BK, kv_from, kv_to, kv_base, threadIdx.x);
            cp_async_commit();
        }
        float s[NB * 4];
#pragma unroll
        for (int i = 0; i < NB * 4; i++) s[i] = 0.f;
        int i = 0;
        for (int tt = t_first; tt <= t_last; tt++, i++) {
            const int kbase = tt * WG_BK;
            const int st = WS ? i % NS : (tt & 1);
            const unsigned sK = smem0 + st * 2 * TILE_BYTES, sV = sK + TILE_BYTES;
            if constexpr (WS) {
                mbar_wait(full0 + 8 * st, (i / NS) & 1);  // K(t), V(t) landed and fenced by the producer
            } else {
                cp_async_wait_all();
                fence_proxy_async();
                __syncthreads();  // K(t), V(t) visible to the tensor cores; both warpgroups are done with tile t - 1
            }
            if (!WS && tt < t_last) {
                const unsigned nK = smem0 + ((tt + 1) & 1) * 2 * TILE_BYTES;
                wg_load_tile<E, DP, WG_THREADS>(nK, k, kbase + WG_BK, kv_from, kv_to, kv_base, threadIdx.x);
                wg_load_tile<E, DP, WG_THREADS>(nK + TILE_BYTES, v, kbase + WG_BK, kv_from, kv_to, kv_base, threadIdx.x);
                cp_async_commit();
            }

            // S = Q K^T: K-major B, 16 columns per step (32 bytes along a swizzled row, then the next block)
            // Q's fragments are loop-invariant wgmma operands, and ptxas (CUDA 13.0) reused their registers inside
            // the loop at D = 64 (for P and the soft cap's division), so every tile after the first multiplied
            // garbage by K. Operands made per tile from them by an instruction ptxas cannot fold (xor with
            // the tile index >> 31, which is 0 and varies per tile, so it is not hoisted) keep the fragments live
            // across the loop: 16 or 32 LOP3 per tile.
            const unsigned zero = (unsigned) tt >> 31;
            unsigned qa[DP / 16][4];
#pragma unroll
            for (int ks = 0; ks < DP / 16; ks++)
#pragma unroll
                for (int u = 0; u < 4; u++) qa[ks][u] = qf[ks][u] ^ zero;
            wg_hold(s);
            wg_fence();
#pragma unroll
            for (int ks = 0; ks < DP / 16; ks++) {
                wgmma_m64n64<0>(P{}, s, qa[ks], wg_desc(sK + (ks >> 2) * (WG_BK * WG_ROW_BYTES) + (ks & 3) * 32, 16, 1024),
                                ks > 0);
            }
            wg_commit();
            wg_wait_all();
            wg_hold(s);

            if (cap > 0.f) {
#pragma unroll
                for (int i = 0; i < NB * 4; i++) s[i] = cap * tanh_short(s[i]);
            }
            const bool full = vis_lo <= kbase && vis_hi >= kbase + WG_BK && kbase + WG_BK <= kv_to && kbase >= kv_from;
            if (!full) {
#pragma unroll
                for (int h = 0; h < 2; h++) {
                    long long pos = q0 + min(wr0 + g + 8 * h, rows - 1) / hg;
                    int lo = max(mask.lo(pos), kv_from), hi = min(mask.hi(pos), kv_to);
#pragma unroll
                    for (int n = 0; n < NB; n++)
#pragma unroll
                        for (int c = 0; c < 2; c++) {
                            int key = kbase + n * 8 + 2 * t + c;
                            if (key < lo || key >= hi) s[4 * n + 2 * h + c] = -CUDART_INF_F;
                        }
                }
            }

            // online softmax: m' = max(m, max_j s_j), alpha = 2^(m - m'), p = 2^(s - m')
            float alpha[2];
            bool steady = true;  // no row of this thread changed its max
#pragma unroll
            for (int h = 0; h < 2; h++) {
                float mx = s[2 * h];
#pragma unroll
                for (int n = 0; n < NB; n++) mx = fmaxf(mx, fmaxf(s[4 * n + 2 * h], s[4 * n + 2 * h + 1]));
                mx = quad_max(mx);
                float mn = fmaxf(m[h], mx);
                float sum = 0.f;
                if (mn == -CUDART_INF_F) {  // no key seen yet: the summary stays as it is
                    alpha[h] = 1.f;
#pragma unroll
                    for (int n = 0; n < NB; n++) s[4 * n + 2 * h] = s[4 * n + 2 * h + 1] = 0.f;
                } else {
                    alpha[h] = exp2_ftz(m[h] - mn);
#pragma unroll
                    for (int n = 0; n < NB; n++)
#pragma unroll
                        for (int c = 0; c < 2; c++) {
                            float p = exp2_ftz(s[4 * n + 2 * h + c] - mn);
                            s[4 * n + 2 * h + c] = p;
                            sum += p;
                        }
                }
                sum = quad_sum(sum);
                l[h] = l[h] * alpha[h] + sum;
                steady &= mn == m[h];
                m[h] = mn;
            }
            // alpha = 1 leaves acc's bits as they are: skipping the multiply when no row of the warp moved
            // gives the same bits, and the vote keeps the branch warp-uniform
            if (!__all_sync(0xffffffffu, steady)) {
#pragma unroll
                for (int n = 0; n < NO; n++)
#pragma unroll
                    for (int c = 0; c < 4; c++) acc[4 * n + c] *= alpha[c >> 1];
            }

            // O += P V, 16 keys per step: P rounded to the operand type in registers (the sum l used P before
            // rounding, as FA2 does); V N-major, keys 16 kk .. at 16 kk rows of 128 bytes
            unsigned pa[WG_BK / 16][4];
#pragma unroll
            for (int kk = 0; kk < WG_BK / 16; kk++) {
                pa[kk][0] = Op::pack2(s[8 * kk + 0], s[8 * kk + 1]);
                pa[kk][1] = Op::pack2(s[8 * kk + 2], s[8 * kk + 3]);
                pa[kk][2] = Op::pack2(s[8 * kk + 4], s[8 * kk + 5]);
                pa[kk][3] = Op::pack2(s[8 * kk + 6], s[8 * kk + 7]);
            }
            wg_hold(acc);
            wg_fence();
#pragma unroll
            for (int kk = 0; kk < WG_BK / 16; kk++) {
                const unsigned long long dv_desc = wg_desc(sV + kk * 16 * WG_ROW_BYTES, WG_BK * WG_ROW_BYTES, 1024);
                if constexpr (DP == 64) wgmma_m64n64<1>(P{}, acc, pa[kk], dv_desc, 1);
                else wgmma_m64n128<1>(P{}, acc, pa[kk], dv_desc, 1);
            }
            wg_commit();
            // waited for here rather than at the next tile's top: a P V still running across the loop's
            // back edge made ptxas serialize every wgmma (C7515); the other warpgroup fills the wait
            wg_wait_all();
            wg_hold(acc);
            if constexpr (WS) {  // the warpgroup's four warps are past their waits: its products read the stage
                if (warp < 4) asm volatile("bar.sync 1, 128;\n" ::: "memory");
                else asm volatile("bar.sync 2, 128;\n" ::: "memory");
                if ((threadIdx.x & 127) == 0) mbar_arrive(empty0 + 8 * st);
            }
        }
    }

    // results
#pragma unroll
    for (int h = 0; h < 2; h++) {
        int row = wr0 + g + 8 * h;
        if (row >= rows) continue;
        if (flags & OUT_STATE) {
            long long sr = state_row(row, rows);
            if (t == 0) {
                st_m[sr] = m[h];
                st_l[sr] = l[h];
            }
#pragma unroll
            for (int n = 0; n < NO; n++)
#pragma unroll
                for (int c = 0; c < 2; c++) {
                    int col = n * 8 + 2 * t + c;
                    if (col < dv) st_acc[sr * dv + col] = acc[4 * n + 2 * h + c];
                }
        }
        if (flags & OUT_FINAL) {
            float inv = l[h] > 0.f ? 1.f / l[h] : 0.f;
            if (t == 0 && lse != nullptr) {
                lse[row] = l[h] > 0.f ? (m[h] + log2f(l[h])) * 0.69314718055994531f : -CUDART_INF_F;
            }
#pragma unroll
            for (int n = 0; n < NO; n++)
#pragma unroll
                for (int c = 0; c < 2; c++) {
                    int col = n * 8 + 2 * t + c;
                    if (col < dv) o[(long long) row * dv + col] = acc[4 * n + 2 * h + c] * inv;
                }
        }
    }
}

#endif  // __CUDA_ARCH_FEAT_SM90_ALL

}  // namespace

// Dynamic shared memory: two stages (three at width 128, and six 8-byte mbarriers) of a K and a V tile (64 keys
// x DP 16-bit elements each), and 1 KB to align them to the swizzle's 1024-byte period. CudaAttention.wgSharedBytes mirrors it.
#define LONGATTN_WG_SHARED(DP) ((DP) == 128 ? 3 * 2 * 64 * 128 * 2 + 1024 + 64 : 2 * 2 * 64 * (DP) * 2 + 1024)
// Threads of a block: two warpgroups, and at width 128 the producer warpgroup (setmaxnreg moves its registers to
// the other two: 64 + 2 x 216 per thread, within the SM's 64K registers). CudaAttention.wgThreads mirrors it.
#define LONGATTN_WG_THREADS(DP) ((DP) == 128 ? 384 : 256)

// The same parameters as longattn_tc_*; on anything but sm_90a the body is empty and the host never
// launches it.
#define LONGATTN_WG_DEFINE(NAME, P, DP)                                                                  \
    extern "C" __global__ void __launch_bounds__(LONGATTN_WG_THREADS(DP), (DP) == 64 ? 2 : 1) longattn_wg_##NAME##_##DP(      \
            const float* __restrict__ q, const float* __restrict__ k, const float* __restrict__ v,         \
            float* __restrict__ o, float* __restrict__ lse, float* __restrict__ st_m,                     \
            float* __restrict__ st_l, float* __restrict__ st_acc, int rows, int hg, long long q0, int d,   \
            int dv, long long k_stride, long long v_stride, long long offset, int left, int right, int sk, \
            int kv_from, int kv_to, int kv_base, int split_keys, float cap, int flags, int reverse) {      \
        LONGATTN_WG_BODY(P, DP)                                                                           \
    }

#if defined(__CUDA_ARCH_FEAT_SM90_ALL)
#define LONGATTN_WG_BODY(P, DP)                                                                          \
        using E = typename Operand<P>::Elem;                                                              \
        const LaunchRange lr = launch_range(kv_from, kv_to, split_keys, reverse);                         \
        Mask mask{offset, left, right, sk};                                                               \
        wg_tile_loop<P, DP>(q, reinterpret_cast<const E*>(k), reinterpret_cast<const E*>(v), o, lse, st_m, \
                st_l, st_acc, rows, hg, q0, d, dv, mask, lr.from, lr.to, kv_base, cap, flags, lr.tile);
#else
#define LONGATTN_WG_BODY(P, DP)
#endif

LONGATTN_WG_DEFINE(fp16, Fp16, 64)
LONGATTN_WG_DEFINE(fp16, Fp16, 128)
LONGATTN_WG_DEFINE(bf16, Bf16, 64)
LONGATTN_WG_DEFINE(bf16, Bf16, 128)
