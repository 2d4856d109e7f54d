package io.longattn.partitioner;

import io.longattn.kernels.AttentionSpec;
import io.longattn.kernels.MaskGeometry;

/**
 * Cost of a unit = unmasked (query, key) pairs it computes, times the query heads of its group, plus a
 * fixed per-unit overhead (loading the query chunk, finishing, shipping the result) expressed in the
 * same pair units. Exact for causal, windows and Sq != Sk, because the kernel skips fully masked kv
 * blocks and the rest is counted pair by pair.
 */
public final class CostModel {
    /** Per-unit overhead, in pair-head units: about the work of one 64 x 256 score tile set. */
    public static final long UNIT_OVERHEAD = 16_384;

    private final AttentionSpec spec;
    private final MaskGeometry mask;

    public CostModel(AttentionSpec spec) {
        this.spec = spec;
        this.mask = spec.mask();
    }

    public long pairs(int q0, int tokens, int kvFrom, int kvTo) {
        if (kvFrom == 0 && kvTo == spec.sk()) return mask.unmaskedPairs(q0, tokens);
        return mask.unmaskedPairs(q0, tokens, kvFrom, kvTo - kvFrom);
    }

    public long cost(int q0, int tokens, int kvFrom, int kvTo) {
        return pairs(q0, tokens, kvFrom, kvTo) * spec.groupSize() + UNIT_OVERHEAD;
    }

    /** FLOPs of a unit: 2 * pairs * heads * (d + dv). */
    public double flops(UnitOfWork u) {
        return 2.0 * pairs(u.q0, u.tokens, u.kvFrom, u.kvTo) * spec.groupSize() * (spec.d() + spec.dv());
    }
}
