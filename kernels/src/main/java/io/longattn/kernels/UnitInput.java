package io.longattn.kernels;

/**
 * One unit for {@link AttentionKernel#runUnit}: a loaded query chunk (already multiplied by
 * {@link AttentionSpec#queryFactor()}), the kv head group its heads share, and the key range
 * [kvFrom, kvTo) to fold in (block-aligned bounds; the whole of [0, Sk) unless keys are split).
 */
public record UnitInput(QueryChunk query, int group, int kvFrom, int kvTo) {
}
