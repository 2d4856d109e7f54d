package io.longattn.job.report;

import io.longattn.job.UserError;
import io.longattn.job.spark.PlannedJob;
import io.longattn.kernels.AttentionSpec;
import io.longattn.partitioner.ChunkPlan;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** The JSON report of a run (--report FILE). */
public final class Report {
    private Report() {
    }

    static Json of(JobSummary s) {
        PlannedJob r = s.job();
        AttentionSpec spec = r.spec();
        ChunkPlan plan = r.plan();
        Json shape = new Json().put("sq", spec.sq()).put("sk", spec.sk()).put("hq", spec.hq()).put("hkv", spec.hkv())
                .put("d", spec.d()).put("dv", spec.dv());
        Json options = new Json().put("causal", spec.causal()).put("window_left", spec.windowLeft())
                .put("window_right", spec.causal() ? 0 : spec.windowRight()).put("scale", spec.scale()).put("softcap", spec.softcap());
        Json planJson = new Json().put("q_chunk", plan.queryChunk()).put("kv_chunk", plan.kvChunk())
                .put("kv_splits", plan.kvSplits()).put("units", plan.unitCount())
                .put("task_working_set_bytes", plan.workingSetBytes()).put("balance", r.balance().name().toLowerCase(java.util.Locale.ROOT));
        return new Json().put("shape", shape).put("options", options)
                .put("q", r.q().path()).put("k", r.k().path()).put("v", r.v().path()).put("out", r.out())
                .put("strategy", r.strategy().strategy().label()).put("strategy_reason", r.strategy().reason())
                .put("kernel", r.kernel().request()).put("kernel_reason", r.kernel().reason())
                .put("plan", planJson).put("partitions", r.partitions())
                .put("wall_seconds", s.seconds()).put("flops", s.flops()).put("gflops", s.gflops())
                .put("max_partition_cost", s.maxPartitionCost()).put("mean_partition_cost", s.meanPartitionCost())
                .put("task_seconds_max", java.util.Arrays.stream(s.taskSeconds()).max().orElse(Double.NaN))
                .put("task_seconds_mean", java.util.Arrays.stream(s.taskSeconds()).average().orElse(Double.NaN))
                .put("tasks", s.tasks())
                .put("task_seconds", s.taskSeconds())
                .put("slot_seconds_max", java.util.Arrays.stream(s.slotSeconds()).max().orElse(Double.NaN))
                .put("slot_seconds_mean", java.util.Arrays.stream(s.slotSeconds()).average().orElse(Double.NaN))
                .put("slot_seconds", s.slotSeconds())
                .put("timeline", s.timeline().toJson());
    }

    /** The report's text, as {@link #write} writes it (for committing it with the job's outputs). */
    public static String text(JobSummary s) {
        return of(s) + "\n";
    }

    public static void write(String path, JobSummary s) {
        try {
            Files.writeString(Path.of(path), of(s) + "\n", StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UserError(path, "cannot write the report (" + e.getMessage() + ")", "a writable file path for --report");
        }
    }
}
