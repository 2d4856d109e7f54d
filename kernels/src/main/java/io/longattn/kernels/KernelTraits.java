package io.longattn.kernels;

/**
 * What a kernel tells the chunk planner, so the planner never reads a kernel's constants.
 *
 * @param queryRowsPerThread query rows (tokens x heads of a group) one call should carry per thread
 *                           of the kernel's own for its threads to stay busy; the planner sizes the
 *                           query chunk from it (0: no preference)
 * @param scratch            the kernel's own buffers, as a function of the chunk sizes and head shape
 * @param memory             where the kernel's working buffers live
 * @param ownThreads         whether the kernel splits a call between threads it owns
 */
public record KernelTraits(int queryRowsPerThread, Scratch scratch, Memory memory, boolean ownThreads) {

    public enum Memory {
        /** Java heap of the task. */
        HOST,
        /** An accelerator's memory: not part of the task's heap budget. */
        DEVICE
    }

    /** Bytes of scratch for query chunk qc (tokens), kv block kc (keys), the heads and the kernel's threads. */
    @FunctionalInterface
    public interface ScratchBytes {
        long bytes(long qc, long kc, long d, long dv, long hg, long threads);
    }

    /**
     * @param contents what the scratch holds, e.g. "packed K, V, Q; score tiles"
     * @param formula  the same in the plan table's notation (Qc, Kc, D, Dv, Hg, T = threads)
     */
    public record Scratch(String contents, String formula, ScratchBytes bytes) {
    }

    public KernelTraits {
        if (queryRowsPerThread < 0) {
            throw new IllegalArgumentException("queryRowsPerThread " + queryRowsPerThread + " is negative, expected >= 0");
        }
        if (scratch == null || memory == null) throw new IllegalArgumentException("scratch and memory are required");
    }

    /** Scratch bytes of this kernel for a plan's chunk sizes and the spec's head shape. */
    public long scratchBytes(AttentionSpec spec, int queryChunk, int kvChunk, int threads) {
        return scratch.bytes().bytes(queryChunk, kvChunk, spec.d(), spec.dv(), spec.groupSize(), threads);
    }
}
