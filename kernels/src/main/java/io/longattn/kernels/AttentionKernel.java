package io.longattn.kernels;

/**
 * A local attention kernel: folds one kv block into the running summaries of one query chunk.
 * An instance belongs to one thread (it may keep scratch buffers); create one per task or thread.
 */
public interface AttentionKernel extends AutoCloseable {

    /** Short name: scalar, simd, cuda. */
    String name();

    /**
     * Updates state with the keys of kv that queries of q may see under the spec's mask.
     * q is already scaled ({@link AttentionSpec#queryFactor()}); the state's max is in log2 units.
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

    /** Threads this kernel computes one call with (1 unless it owns workers). */
    default int threads() {
        return 1;
    }

    /** Releases what the kernel owns (e.g. its worker threads); idempotent. No-op by default. */
    @Override
    default void close() {
    }
}
