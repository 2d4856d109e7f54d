package io.longattn.kernels;

import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * What a kernel tells the chunk planner, so the planner never reads a kernel's constants.
 *
 * @param queryRowsPerThread query rows (tokens x heads of a group) one call should carry per thread
 *                           of the kernel's own for its threads to stay busy; the planner sizes the
 *                           query chunk from it (0: no preference)
 * @param scratch            the kernel's own buffers, as a function of the chunk sizes and head shape
 * @param memory             where the kernel's working buffers live
 * @param ownThreads         whether the kernel splits a call between threads it owns
 * @param precisions         the {@link Precision}s the kernel computes (FP32 always)
 */
public record KernelTraits(int queryRowsPerThread, Scratch scratch, Memory memory, boolean ownThreads,
                           Set<Precision> precisions) {

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
        if (precisions == null || !precisions.contains(Precision.FP32)) {
            throw new IllegalArgumentException("precisions " + precisions + ", expected a set holding FP32");
        }
        precisions = Set.copyOf(precisions);
    }

    /** A kernel that computes FP32 only (the CPU kernels). */
    public KernelTraits(int queryRowsPerThread, Scratch scratch, Memory memory, boolean ownThreads) {
        this(queryRowsPerThread, scratch, memory, ownThreads, EnumSet.of(Precision.FP32));
    }

    /**
     * Refuses a spec whose precision kernel {@code kernel} does not compute, in one line naming
     * --precision and the kernel that computes every precision.
     */
    public void requirePrecision(String kernel, AttentionSpec spec) {
        if (precisions.contains(spec.precision())) return;
        throw new KernelSelectionException(KernelSelectionException.Problem.UNAVAILABLE, kernel,
                "--precision " + spec.precision().id() + " is not computed by kernel " + kernel + " (it computes "
                        + ids(precisions) + "); tf32, fp16 and bf16 run on kernel cuda", List.of("cuda", "--precision fp32"));
    }

    private static String ids(Set<Precision> ps) {
        StringBuilder sb = new StringBuilder();
        for (Precision p : Precision.values()) {
            if (!ps.contains(p)) continue;
            if (sb.length() > 0) sb.append(", ");
            sb.append(p.id());
        }
        return sb.toString();
    }

    /** Scratch bytes of this kernel for a plan's chunk sizes and the spec's head shape. */
    public long scratchBytes(AttentionSpec spec, int queryChunk, int kvChunk, int threads) {
        return scratch.bytes().bytes(queryChunk, kvChunk, spec.d(), spec.dv(), spec.groupSize(), threads);
    }
}
