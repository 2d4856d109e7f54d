package io.longattn.job.cli;

import io.longattn.job.JobLauncher;
import io.longattn.job.JobRequest;
import io.longattn.job.Plural;
import io.longattn.job.UserError;
import io.longattn.job.plan.SequenceLayout;
import io.longattn.job.report.Json;
import io.longattn.job.settings.Settings;
import io.longattn.kernels.AttentionSpec;
import io.longattn.partitioner.Assignment;
import io.longattn.partitioner.ChunkPlan;
import io.longattn.partitioner.Sequences;
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
    @Option(names = "--lengths", paramLabel = "LIST", description = "Many sequences instead of --seq: comma-separated lengths,"
            + " each Sq or Sq:Sk, optionally xN for N such sequences (1,000 of 2,048 and one of 65,536: 2048x1000,65536).")
    String lengths;
    @Option(names = "--cu-seqlens-q", paramLabel = "FILE", description = "Many sequences instead of --seq: the run's"
            + " cu_seqlens_q file (int32 or int64 .npy).") String cuSeqlensQ;
    @Option(names = "--cu-seqlens-k", paramLabel = "FILE", description = "The run's cu_seqlens_k (default: --cu-seqlens-q).")
    String cuSeqlensK;

    @Override
    public SettingFlags settingFlags() {
        return settings;
    }

    @Override
    public Integer call() {
        Sequences sequences = PlanLengths.sequences(shape, lengths, cuSeqlensQ, cuSeqlensK);
        int dim = shape.dim, dv = shape.dv();
        JobRequest.Attention a = mask.attention(null, null);
        AttentionSpec spec = new AttentionSpec(sequences.totalQ(), sequences.totalK(), shape.heads, shape.hkv(), dim, dv,
                AttentionSpec.defaultScale(dim), a.causal(), a.windowLeft(), a.windowRight(), 0);
        JobLauncher.Preview preview = JobLauncher.preview(spec, settings.values(), sequences);
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
                    .put("total_flops", plan.totalFlops()).put("sequences", sequences.count()).put("balance", "lpt").put("max_over_mean", bal.maxOverMean())
                    .put("max_over_mean_contiguous", con.maxOverMean()).put("estimated_seconds", est);
            System.out.println(j);
            return 0;
        }
        StringBuilder sb = new StringBuilder();
        f(sb, "plan for %s", sequences.count() == 1 ? spec.describe() : SequenceLayout.describe(spec, sequences));
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
        f(sb, "  work: %.4g FLOPs (2 x unmasked pairs x Hq x (D + Dv)), %,d unmasked pairs", plan.totalFlops(), plan.totalPairs());
        if (sequences.count() > 1) sb.append(PlanLengths.perSequence(plan, units, bal));
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
