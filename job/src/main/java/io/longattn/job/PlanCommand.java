package io.longattn.job;

import io.longattn.job.io.UserError;
import io.longattn.kernels.AttentionSpec;
import io.longattn.partitioner.Assignment;
import io.longattn.partitioner.ChunkPlan;
import io.longattn.partitioner.UnitOfWork;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/** bin/longattn plan: the chunk plan, per-task working set and partition balance, without running anything. */
@Command(name = "plan", description = "Print the chunk plan, the per-task working set and the partition costs for a shape.")
final class PlanCommand implements Callable<Integer> {
    @Mixin
    ShapeOptions shape = new ShapeOptions();
    @Option(names = "--causal") boolean causal;
    @Option(names = "--window", paramLabel = "LEFT,RIGHT") String window;
    @Option(names = "--partitions", paramLabel = "P", description = "Partitions (default: available processors).") Integer partitions;
    @Option(names = "--task-memory", paramLabel = "BYTES", description = "Per-task budget (default 1g: Spark's executor memory / 1 core).")
    String taskMemory = "1g";
    @Option(names = "--q-chunk", paramLabel = "N") int qChunk;
    @Option(names = "--kv-chunk", paramLabel = "N") int kvChunk;
    @Option(names = "--threads", paramLabel = "T", description = "Kernel threads inside one task, as for run (default 1).")
    int threads = 1;
    @Option(names = "--gflops", paramLabel = "X", description = "Kernel rate per task (GFLOP/s) for a time estimate.") Double gflops;
    @Option(names = "--json", description = "One JSON object instead of text.") boolean json;

    @Override
    public Integer call() {
        shape.check();
        int seq = shape.seq, heads = shape.heads, dim = shape.dim, sk = shape.sk(), hkv = shape.hkv(), dv = shape.dv();
        RunCommand.Inputs in = new RunCommand.Inputs("", "", "", "", null, false, causal, window, null, null, false);
        int[] w = in.windowBounds();
        AttentionSpec spec;
        try {
            spec = new AttentionSpec(seq, sk, heads, hkv, dim, dv, AttentionSpec.defaultScale(Math.max(1, dim)), causal, w[0], w[1], 0);
        } catch (IllegalArgumentException e) {
            throw new UserError("shape", e.getMessage().replaceFirst(", expected.*", ""), e.getMessage().replaceFirst(".*, expected ", ""));
        }
        int p = partitions == null ? Runtime.getRuntime().availableProcessors() : partitions;
        if (p <= 0) throw new UserError("--partitions", p + " is not positive", "an integer > 0");
        long budget;
        try {
            budget = JobLauncher.parseBytes(taskMemory);
        } catch (NumberFormatException e) {
            throw new UserError("--task-memory", "'" + taskMemory + "' is not a byte size", "a size such as 268435456, 256m or 2g");
        }
        if (threads < 1) throw new UserError("--threads", threads + " is not positive", "an integer >= 1");
        ChunkPlan plan = JobLauncher.plan(io.longattn.kernels.KernelSelector.standard().select(null).traits(), spec, p, budget,
                qChunk, kvChunk, false, threads);
        List<UnitOfWork> units = plan.units();
        Assignment bal = Assignment.balanced(units, p);
        Assignment con = Assignment.contiguous(units, p);
        double flopsPerCost = 2.0 * (dim + dv);
        Double est = gflops == null ? null : bal.maxLoad() * flopsPerCost / (gflops * 1e9);
        if (json) {
            Json j = new Json().put("q_chunk", plan.queryChunk()).put("kv_chunk", plan.kvChunk()).put("units", units.size())
                    .put("partitions", p).put("task_working_set_bytes", plan.workingSetBytes()).put("task_memory_budget", budget)
                    .put("total_flops", spec.flops()).put("balance", "lpt").put("max_over_mean", bal.maxOverMean())
                    .put("max_over_mean_contiguous", con.maxOverMean()).put("estimated_seconds", est);
            System.out.println(j);
            return 0;
        }
        StringBuilder sb = new StringBuilder();
        f(sb, "plan for %s", spec.describe());
        f(sb, "  chunks: q-chunk %d, kv-chunk %d -> %d query chunks x %d kv groups = %d units", plan.queryChunk(), plan.kvChunk(),
                plan.chunks(), plan.groups(), units.size());
        f(sb, "  per-task working set (none of it depends on Sq or Sk):");
        for (ChunkPlan.WorkingSetRow r : plan.workingSet()) {
            f(sb, "    %-40s %-22s %,14d B", r.name(), r.formula(), r.bytes());
        }
        f(sb, "    %-40s %-22s %,14d B (budget %,d B)", "total", "", plan.workingSetBytes(), budget);
        f(sb, "  work: %.4g FLOPs (2 x unmasked pairs x Hq x (D + Dv)), %,d unmasked pairs", spec.flops(), spec.mask().unmaskedPairs(0, seq));
        f(sb, "  partitions %d: balanced (lpt) max/mean %.3f; contiguous (--balance none) max/mean %.3f", p, bal.maxOverMean(), con.maxOverMean());
        if (est != null) f(sb, "  estimated time at %.1f GFLOP/s per task: %.2f s (costliest partition)", gflops, est);
        System.out.print(sb);
        return 0;
    }

    private static void f(StringBuilder sb, String fmt, Object... args) {
        sb.append(String.format(Locale.ROOT, fmt, args)).append('\n');
    }
}
