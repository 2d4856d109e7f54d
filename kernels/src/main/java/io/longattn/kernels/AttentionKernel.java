package io.longattn.kernels;

import java.util.List;

/**
 * A local attention kernel: folds kv blocks into the running summaries of query chunks.
 * An instance belongs to one thread (it may keep scratch buffers); create one per task or thread.
 *
 * <p>Contract shared by every method: the query chunk is already multiplied by
 * {@link AttentionSpec#queryFactor()} (scale and log2 e folded in, so scores are in log2 units and a
 * summary's max is too); a unit's keys are consumed in one fixed order (ascending kv blocks of the
 * caller's block size, aligned from key 0, fully masked blocks skipped), so a result's bits depend
 * only on the unit and the block size, never on partitions, executors, retries or key splits.
 */
public interface AttentionKernel extends AutoCloseable {

    /** Short name: scalar, simd, cuda. */
    String name();

    /**
     * Updates state with the keys of kv that queries of q may see under the spec's mask.
     * The caller skips blocks that are fully masked; kernels must still honour partial masks.
     */
    void accumulate(QueryChunk q, KvBlock kv, SoftmaxState state);

    /**
     * {@link #accumulate(QueryChunk, KvBlock, SoftmaxState)}, also running {@code alongside} (when not
     * null) before it returns: a kernel with threads of its own runs it on one of them while the others
     * compute, so the caller can have the next kv block loaded into another buffer meanwhile.
     * alongside must not touch q, kv or state. By default it runs after the block.
     */
    default void accumulate(QueryChunk q, KvBlock kv, SoftmaxState state, Runnable alongside) {
        accumulate(q, kv, state);
        if (alongside != null) alongside.run();
    }

    /**
     * Runs one whole unit: every kv block of {@code unit.group()} that starts in [kvFrom, kvTo) and that
     * the mask does not fully hide, in ascending order, blocks of {@code host.kvBlockSize()} keys
     * aligned from key 0, folded into a fresh summary. The returned summary is valid until the next
     * call on this kernel or host.
     *
     * <p>By default {@code host} (a {@link UnitRunner}) loads each block from {@code source} into its
     * host buffers and calls {@link #accumulate}. A device kernel overrides this to keep K/V and the
     * running summaries in device memory instead of a host round trip per kv block; it must give the
     * same fixed block order (same block size, same boundaries) so bits do not depend on the path.
     */
    default UnitSummary runUnit(UnitInput unit, KvSource source, UnitRunner host) {
        return host.foldBlocks(unit, source);
    }

    /**
     * Runs a batch of units and hands each one's summary to {@code sink} (in any order, each exactly
     * once). By default one {@link #runUnit} after the other; a device kernel may run them in one launch.
     */
    default void runUnits(List<UnitInput> units, KvSource source, UnitRunner host, UnitSink sink) {
        for (int i = 0; i < units.size(); i++) sink.accept(i, runUnit(units.get(i), source, host));
    }

    /**
     * Seconds a device kernel's accelerator spent computing this instance's units so far, timed on the
     * device (without copies or host work), so a job can report kernel time beside task time; 0 for
     * kernels that compute on the host, whose time is the caller's own.
     */
    default double deviceSeconds() {
        return 0;
    }

    /** Threads this kernel computes one call with (1 unless it owns workers). */
    default int threads() {
        return 1;
    }

    /** Releases what the kernel owns (e.g. its worker threads); idempotent. No-op by default. */
    @Override
    default void close() {
    }
}
