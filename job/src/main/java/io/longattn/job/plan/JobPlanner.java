package io.longattn.job.plan;

import io.longattn.job.UserError;
import io.longattn.kernels.AttentionKernel;
import io.longattn.kernels.AttentionSpec;
import io.longattn.kernels.KernelSelector;
import io.longattn.partitioner.ChunkPlan;

import java.util.List;

/**
 * The one place where the job meets the kernel selector and the chunk planner: picking a kernel, making
 * the plan and creating kernels on executors. Their failures become {@link UserError}s naming the flag.
 */
public final class JobPlanner {
    private JobPlanner() {
    }

    /** The kernel a job runs with, and why (spark-rapids style: why a better one was not usable). */
    public record KernelPick(String name, String reason) implements java.io.Serializable {
    }

    /** Names a user may ask for: auto and every kernel. */
    public static List<String> kernelNames() {
        return KernelSelector.names();
    }

    /** Kernels usable on this JVM, best first. */
    public static List<String> availableKernels() {
        return KernelSelector.available();
    }

    /** The kernel for a request, or a UserError naming --kernel (or --threads when the kernel has no threads). */
    public static KernelPick pickKernel(String requested, int threads) {
        KernelSelector.Choice choice;
        try {
            choice = KernelSelector.select(requested);
        } catch (IllegalArgumentException e) {
            String why = KernelSelector.names().contains(requested) ? "kernel " + requested + " is not available on this machine"
                    + (KernelSelector.simdUnavailableReason() == null ? "" : " (" + KernelSelector.simdUnavailableReason() + ")")
                    : "unknown kernel '" + requested + "'";
            throw new UserError("--kernel", why, "one of " + KernelSelector.available() + " (available on this machine)");
        }
        if (threads > 1 && !choice.name().equals("simd")) {
            throw new UserError("--threads", threads + " threads need the simd kernel, kernel " + choice.name()
                    + " has no threads of its own", "--threads 1 or --kernel simd");
        }
        return new KernelPick(choice.name(), choice.reason());
    }

    /** What the plan is made from. */
    public record PlanRequest(AttentionSpec spec, KernelPick kernel, int partitions, long taskMemory, int queryChunk,
                              int kvChunk, boolean splitKeys, int threads) {
    }

    /** The chunk plan; a UserError naming --q-chunk, --kv-chunk or --task-memory when it cannot be made. */
    public static ChunkPlan plan(PlanRequest r) {
        int splits = r.splitKeys() ? kvSplits(r.spec(), r.partitions(), r.queryChunk(), r.kvChunk()) : 1;
        try {
            return ChunkPlan.create(r.spec(), r.partitions(), r.taskMemory(), r.queryChunk(), r.kvChunk(), splits, r.threads());
        } catch (IllegalArgumentException e) {
            String msg = e.getMessage();
            int cut = msg.indexOf(", expected ");
            String subject = msg.startsWith("--") ? msg.substring(0, msg.indexOf(' ')) : "--task-memory";
            String problem = msg.startsWith("--") ? msg.substring(msg.indexOf(' ') + 1, cut) : msg.substring(0, cut);
            throw new UserError(subject, problem, msg.substring(cut + ", expected ".length()));
        }
    }

    /** Key splits so that (query chunks x kv groups x splits) gives about 4 units per partition. */
    static int kvSplits(AttentionSpec spec, int partitions, int qChunk, int kvChunk) {
        int qc = qChunk > 0 ? qChunk : Math.min(ChunkPlan.DEFAULT_QUERY_CHUNK, spec.sq());
        int kc = kvChunk > 0 ? kvChunk : Math.min(ChunkPlan.DEFAULT_KV_CHUNK, spec.sk());
        long unitsUnsplit = (long) ((spec.sq() + qc - 1) / qc) * spec.hkv();
        long wanted = (4L * partitions + unitsUnsplit - 1) / unitsUnsplit;
        long blocks = (spec.sk() + kc - 1) / kc;
        return (int) Math.max(2, Math.min(wanted, blocks));
    }

    /** A kernel for one task (on an executor): the pick made on the driver, with its threads. */
    public static AttentionKernel createKernel(KernelPick kernel, AttentionSpec spec, int threads) {
        return KernelSelector.create(kernel.name(), spec, threads);
    }
}
