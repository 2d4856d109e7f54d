package io.longattn.job.spark;

import io.longattn.job.io.Compression;
import io.longattn.job.io.TensorHeader;
import io.longattn.job.plan.JobPlanner;
import io.longattn.job.strategy.BroadcastVia;
import io.longattn.job.strategy.Strategy;
import io.longattn.kernels.AttentionSpec;
import io.longattn.partitioner.Assignment;
import io.longattn.partitioner.ChunkPlan;

/**
 * Everything the driver decided before Spark work starts: validated inputs, the spec, the plan and the
 * choices with their reasons (for the summary and the report). {@code guidedMinFlops} is the smallest guided
 * partition's work (0: none).
 */
public record PlannedJob(TensorHeader q, TensorHeader k, TensorHeader v, String out, String lseOut, boolean overwrite,
                         Compression compression,
                         AttentionSpec spec, ChunkPlan plan, int partitions, Assignment.Policy balance,
                         double guidedMinFlops, JobPlanner.KernelPick kernel, Strategy.Decision strategy, BroadcastVia broadcastVia,
                         long outputPartitionBytes, OutputWriters outputWriters, int warmupMillis, int progressSeconds,
                         boolean failFirstAttempt, int failAtUnit) {
}
