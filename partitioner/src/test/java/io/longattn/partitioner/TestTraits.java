package io.longattn.partitioner;

import io.longattn.kernels.KernelTraits;

/** Kernel traits for plan tests, stated here: the partitioner never reads a kernel implementation. */
final class TestTraits {
    private TestTraits() {
    }

    /** As the SIMD kernel declares them: 128 rows per thread, threads of its own, host scratch. */
    static final KernelTraits THREADED = new KernelTraits(128,
            new KernelTraits.Scratch("packed K, V, Q; score tiles", "Kc*(D+Dv)*4+Qc*Hg*D*4+T*8*256*4",
                    (qc, kc, d, dv, hg, t) -> kc * (d + dv) * 4 + qc * hg * d * 4 + t * 8 * 256 * 4),
            KernelTraits.Memory.HOST, true);

    /** A device kernel: scratch in device memory (not in the task's heap budget), no host threads. */
    static final KernelTraits DEVICE = new KernelTraits(4096,
            new KernelTraits.Scratch("K/V and summaries", "Sk*(D+Dv)*4", (qc, kc, d, dv, hg, t) -> 1L << 40),
            KernelTraits.Memory.DEVICE, false);

    static ChunkPlan create(io.longattn.kernels.AttentionSpec spec, int partitions, long budget, int qc, int kc,
                            boolean splitKeys, int threads) {
        return ChunkPlan.create(new ChunkPlan.Request(spec, THREADED, partitions, budget, qc, kc, splitKeys, threads));
    }

    static ChunkPlan plan(io.longattn.kernels.AttentionSpec spec, int qc, int kc, int splits, long budget, int threads) {
        return new ChunkPlan(spec, THREADED, qc, kc, splits, budget, threads);
    }
}
