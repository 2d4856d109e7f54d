package io.longattn.job.plan;

import io.longattn.job.UserError;
import io.longattn.kernels.AttentionKernel;
import io.longattn.kernels.AttentionSpec;
import io.longattn.kernels.KernelSelectionException;
import io.longattn.kernels.KernelSelector;
import io.longattn.kernels.KernelTraits;
import io.longattn.partitioner.ChunkPlan;
import io.longattn.partitioner.ChunkPlanException;
import io.longattn.partitioner.Sequences;

import java.util.List;

/**
 * The one place where the job meets the kernel selector and the chunk planner: picking a kernel, making
 * the plan and creating kernels on executors. Their typed failures become {@link UserError}s naming the
 * flag.
 */
public final class JobPlanner {
    private JobPlanner() {
    }

    /**
     * The kernel a job runs with and why (spark-rapids style: why a better one was not usable).
     *
     * @param name    the provider's name
     * @param request what executors ask their selector for and reports show: the provider with its option (simd:6x4)
     */
    public record KernelPick(String name, String request, String reason) implements java.io.Serializable {
        private static final long serialVersionUID = 1L;
    }

    /** Names a user may ask for: auto and every kernel provider, best first. */
    public static List<String> kernelNames() {
        return KernelSelector.standard().names();
    }

    /** Kernels usable on this JVM, best first. */
    public static List<String> availableKernels() {
        return KernelSelector.standard().available();
    }

    /** The kernel for a request, or a UserError naming --kernel (or --threads when the kernel has no threads). */
    public static KernelPick pickKernel(String requested, int threads) {
        KernelSelector.Choice choice;
        try {
            choice = KernelSelector.standard().select(requested);
        } catch (KernelSelectionException e) {
            String expected = e.available().isEmpty() ? "a usable kernel" : "one of " + String.join(", ", e.available())
                    + (e.problem() == KernelSelectionException.Problem.UNAVAILABLE ? " (available on this machine)" : "");
            throw new UserError("--kernel", e.reason(), expected);
        }
        if (threads > 1 && !choice.traits().ownThreads()) {
            throw new UserError("--threads", threads + " threads need a kernel with threads of its own, kernel " + choice.name()
                    + " has none", "--threads 1 or --kernel simd");
        }
        String request = requested == null || requested.equals(KernelSelector.AUTO) ? choice.name() : requested;
        return new KernelPick(choice.name(), request, choice.reason());
    }

    /** A UserError naming --precision when the picked kernel does not compute the spec's precision. */
    public static void checkPrecision(KernelPick kernel, AttentionSpec spec) {
        KernelTraits traits = KernelSelector.standard().traitsOf(kernel.request());
        if (traits.precisions().contains(spec.precision())) return;
        String cuda = KernelSelector.standard().unavailable().get("cuda");
        throw new UserError("--precision", spec.precision().id() + " is not computed by kernel " + kernel.name()
                + " (fp32 only); tf32, fp16 and bf16 run on kernel cuda" + (cuda == null ? "" : ", not usable here: " + cuda),
                "--precision fp32" + (cuda == null ? " or --kernel cuda" : ""));
    }

    /**
     * The kernel a plan is made for: as {@link #pickKernel}, except that a named kernel this machine
     * cannot run is still planned with its traits (planning a GPU cluster's job on a laptop), and says so.
     */
    public static KernelPick planKernel(String requested, int threads) {
        try {
            return pickKernel(requested, threads);
        } catch (UserError e) {
            if (requested == null || requested.equals(KernelSelector.AUTO)) throw e;
            String why = KernelSelector.standard().unavailable().get(requested.split(":", 2)[0]);
            if (why == null) throw e;
            try {
                KernelSelector.standard().traitsOf(requested);
            } catch (KernelSelectionException bad) {
                throw new UserError("--kernel", bad.reason(), "one of " + String.join(", ", kernelNames()));
            }
            return new KernelPick(requested.split(":", 2)[0], requested, "planned with its traits; not usable on this machine: " + why);
        }
    }

    /** What the plan is made from. */
    public record PlanRequest(AttentionSpec spec, KernelPick kernel, int partitions, long taskMemory, int queryChunk,
                              int kvChunk, boolean splitKeys, int threads, Sequences sequences) {
        /** One sequence of the spec's lengths. */
        public PlanRequest(AttentionSpec spec, KernelPick kernel, int partitions, long taskMemory, int queryChunk,
                           int kvChunk, boolean splitKeys, int threads) {
            this(spec, kernel, partitions, taskMemory, queryChunk, kvChunk, splitKeys, threads, Sequences.single(spec.sq(), spec.sk()));
        }
    }

    /** The chunk plan; a UserError naming --q-chunk, --kv-chunk or --task-memory when it cannot be made. */
    public static ChunkPlan plan(PlanRequest r) {
        try {
            KernelTraits traits = KernelSelector.standard().traitsOf(r.kernel().request());
            return ChunkPlan.create(new ChunkPlan.Request(r.spec(), traits, r.partitions(), r.taskMemory(),
                    r.queryChunk(), r.kvChunk(), r.splitKeys(), r.threads(), r.sequences()));
        } catch (ChunkPlanException e) {
            String flag = switch (e.input()) {
                case QUERY_CHUNK -> "--q-chunk";
                case KV_CHUNK -> "--kv-chunk";
                case TASK_MEMORY -> "--task-memory";
            };
            throw new UserError(flag, e.problem(), e.expected());
        }
    }

    /**
     * A kernel for one task (on an executor): the pick made on the driver, with its threads, on the GPU
     * Spark assigned the task when the pick is the cuda kernel without a GPU of its own (null: none assigned).
     */
    public static AttentionKernel createKernel(KernelPick kernel, AttentionSpec spec, int threads, String assignedGpu) {
        return KernelSelector.standard().create(executorRequest(kernel, assignedGpu), spec, threads);
    }

    /** cuda becomes cuda:N for a task Spark gave GPU N; any other request stays as the driver made it. */
    static String executorRequest(KernelPick kernel, String assignedGpu) {
        if (assignedGpu != null && kernel.name().equals("cuda") && kernel.request().equals("cuda")) return "cuda:" + assignedGpu;
        return kernel.request();
    }
}
