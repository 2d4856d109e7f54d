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

    /** Releases what the kernel owns (e.g. its worker threads); idempotent. No-op by default. */
    @Override
    default void close() {
    }
}
