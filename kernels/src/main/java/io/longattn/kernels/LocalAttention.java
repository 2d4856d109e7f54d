package io.longattn.kernels;

import java.util.function.Supplier;

/**
 * Whole-tensor attention in one JVM through the same unit path the Spark job uses: chunk the queries,
 * run each (chunk, kv group) unit with a {@link UnitRunner}. For tests, benchmarks and the demo's check.
 */
public final class LocalAttention {
    private LocalAttention() {
    }

    /** Output of a whole call: o [sq][hq][dv], lse [sq][hq]. */
    public record Result(float[] o, float[] lse) {
    }

    /** In-memory K/V, token-major [sk][hkv][d] and [sk][hkv][dv]. */
    public static KvSource arrays(AttentionSpec spec, float[] k, float[] v) {
        return (group, k0, length, dst) -> dst.load(k0, length, k, v, 0, spec.hkv(), group);
    }

    public static Result compute(AttentionSpec spec, float[] q, float[] k, float[] v,
                                 AttentionKernel kernel, int queryChunk, int kvBlock) {
        int sq = spec.sq(), hq = spec.hq(), hg = spec.groupSize(), dv = spec.dv();
        float[] o = new float[sq * hq * dv];
        float[] lse = new float[sq * hq];
        UnitRunner runner = new UnitRunner(spec, kernel, queryChunk, kvBlock);
        KvSource source = arrays(spec, k, v);
        float[] chunkOut = new float[queryChunk * hg * dv];
        float[] chunkLse = new float[queryChunk * hg];
        for (int q0 = 0; q0 < sq; q0 += queryChunk) {
            int tokens = Math.min(queryChunk, sq - q0);
            for (int g = 0; g < spec.hkv(); g++) {
                runner.query().load(q0, tokens, q, q0 * hq * spec.d(), hq, g * hg, spec.queryFactor());
                runner.run(g, source, chunkOut, 0, chunkLse, 0);
                scatter(spec, g, q0, tokens, chunkOut, chunkLse, o, lse);
            }
        }
        return new Result(o, lse);
    }

    /** Places a unit's output [tokens][hg][dv] (group g) into the full [sq][hq][dv] tensors. */
    public static void scatter(AttentionSpec spec, int g, int q0, int tokens, float[] chunkOut, float[] chunkLse,
                               float[] o, float[] lse) {
        int hq = spec.hq(), hg = spec.groupSize(), dv = spec.dv();
        for (int t = 0; t < tokens; t++) {
            System.arraycopy(chunkOut, t * hg * dv, o, ((q0 + t) * hq + g * hg) * dv, hg * dv);
            if (lse != null) System.arraycopy(chunkLse, t * hg, lse, (q0 + t) * hq + g * hg, hg);
        }
    }
}
