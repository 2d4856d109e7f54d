package io.longattn.job.report;

import io.longattn.job.Plural;
import io.longattn.job.spark.PlannedJob;

/**
 * What a finished job reports: the one-line summary and the JSON report are made from it.
 *
 * @param tasks       Spark partitions the units ran in: the job's partitions (its slots), or more with guided balance
 * @param slotSeconds what each task slot ran in all, from the tasks' launch and finish times ({@link SlotTimes})
 */
public record JobSummary(PlannedJob job, double seconds, double flops, int units, int tasks, long maxPartitionCost,
                         double meanPartitionCost, double[] taskSeconds, double[] slotSeconds, Timeline timeline) {

    public double gflops() {
        return flops / seconds / 1e9;
    }

    public String oneLine() {
        PlannedJob r = job;
        return String.format("longattn: done %s | kernel %s | strategy %s | q-chunk %d kv-chunk %d | %s on %s"
                        + " | %.2f s | %.1f GFLOP/s | out %s",
                r.spec().describe(), r.kernel().request(), r.strategy().strategy().label(), r.plan().queryChunk(),
                r.plan().kvChunk(), Plural.of(units, "unit"), Plural.of(r.partitions(), "partition")
                        + (tasks == r.partitions() ? "" : " (" + tasks + " guided tasks)"), seconds, gflops(), r.out());
    }

    /** The final line with the job's phases appended (--timeline). */
    public String oneLineWithTimeline() {
        return oneLine() + " | timeline: " + timeline.describe();
    }
}
