package io.longattn.job.cli;

import io.longattn.job.JobLauncher;
import io.longattn.job.JobRequest;
import io.longattn.job.Plural;
import io.longattn.job.UserError;
import io.longattn.job.report.Json;
import io.longattn.job.settings.Settings;
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
@Command(name = "plan", description = "Print the chunk plan, the per-task working set and the partition costs for a shape"
        + " (as a job on a local master would plan it).")
final class PlanCommand implements Callable<Integer>, SettingFlags.Holder {
    @Mixin
    ShapeOptions shape = new ShapeOptions();
    @Mixin
    MaskOptions mask = new MaskOptions();
    final SettingFlags settings = new SettingFlags(List.of(Settings.KERNEL, Settings.Q_CHUNK, Settings.KV_CHUNK,
            Settings.PARTITIONS, Settings.THREADS, Settings.TASK_MEMORY));
    @Option(names = "--gflops", paramLabel = "X", description = "Kernel rate per task (GFLOP/s) for a time estimate.") Double gflops;
    @Option(names = "--json", description = "One JSON object instead of text.") boolean json;

    @Override
    public SettingFlags settingFlags() {
        return settings;
    }

    @Override
    public Integer call() {
        shape.check();
        int seq = shape.seq, dim = shape.dim, dv = shape.dv();
        JobRequest.Attention a = mask.attention(null, null);
        AttentionSpec spec = new AttentionSpec(seq, shape.sk(), shape.heads, shape.hkv(), dim, dv, AttentionSpec.defaultScale(dim),
                a.causal(), a.windowLeft(), a.windowRight(), 0);
        JobLauncher.Preview preview = JobLauncher.preview(spec, settings.values());
        ChunkPlan plan = preview.plan();
        int p = preview.partitions();
        long budget = preview.budget();
        List<UnitOfWork> units = plan.units();
        Assignment bal = Assignment.balanced(units, p);
        Assignment con = Assignment.contiguous(units, p);
        double flopsPerCost = 2.0 * (dim + dv);
        if (gflops != null && !(gflops > 0 && gflops < Double.POSITIVE_INFINITY)) {
            throw new UserError("--gflops", gflops + " is not a rate", "a finite number of GFLOP/s > 0");
        }
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
        f(sb, "  kernel %s (its traits size the query chunks and the scratch%s)", preview.kernel().request(),
                preview.kernel().reason().startsWith("planned") ? "; " + preview.kernel().reason().substring("planned with its traits; ".length()) : "");
        f(sb, "  chunks: q-chunk %d, kv-chunk %d -> %s x %s = %s", plan.queryChunk(), plan.kvChunk(),
                Plural.of(plan.chunks(), "query chunk"), Plural.of(plan.groups(), "kv group"), Plural.of(units.size(), "unit"));
        f(sb, "  per-task working set (none of it depends on Sq or Sk):");
        List<ChunkPlan.WorkingSetRow> rows = plan.workingSet();
        int nameWidth = "total".length(), formulaWidth = 1;
        for (ChunkPlan.WorkingSetRow r : rows) {
            nameWidth = Math.max(nameWidth, r.name().length());
            formulaWidth = Math.max(formulaWidth, r.formula().length());
        }
        String row = "    %-" + nameWidth + "s  %-" + formulaWidth + "s  %,14d B";
        for (ChunkPlan.WorkingSetRow r : rows) f(sb, row, r.name(), r.formula(), r.bytes());
        f(sb, row + " (budget %,d B)", "total", "", plan.workingSetBytes(), budget);
        f(sb, "  work: %.4g FLOPs (2 x unmasked pairs x Hq x (D + Dv)), %,d unmasked pairs", spec.flops(), spec.mask().unmaskedPairs(0, seq));
        f(sb, "  %s: balanced (lpt) max/mean %.3f; contiguous (--balance none) max/mean %.3f", Plural.of(p, "partition"),
                bal.maxOverMean(), con.maxOverMean());
        if (est != null) f(sb, "  estimated time at %.1f GFLOP/s per task: %.2f s (costliest partition)", gflops, est);
        System.out.print(sb);
        return 0;
    }

    private static void f(StringBuilder sb, String fmt, Object... args) {
        sb.append(String.format(Locale.ROOT, fmt, args)).append('\n');
    }
}
