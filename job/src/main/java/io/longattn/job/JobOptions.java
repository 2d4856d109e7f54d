package io.longattn.job;

import picocli.CommandLine.Option;

import java.util.ArrayList;
import java.util.List;

/** Flags shared by run and demo: how the job is cut and run. Each maps to a {@link Settings} key. */
public final class JobOptions {
    @Option(names = "--kernel", paramLabel = "auto|simd|scalar", description = "Local kernel (default: auto).")
    String kernel;

    @Option(names = "--q-chunk", paramLabel = "N", description = "Query rows per unit (default: chosen by the plan).")
    Integer qChunk;

    @Option(names = "--kv-chunk", paramLabel = "N", description = "Keys per kv block (default: chosen by the plan).")
    Integer kvChunk;

    @Option(names = "--partitions", paramLabel = "N", description = "Spark partitions (default: Spark's default parallelism).")
    Integer partitions;

    @Option(names = "--strategy", paramLabel = "auto|broadcast|stream|split-kv", description = "How K/V reach the units (default: auto).")
    String strategy;

    @Option(names = "--balance", paramLabel = "lpt|none", description = "Unit assignment: lpt (balanced, default) or none (contiguous).")
    String balance;

    @Option(names = "--threads", paramLabel = "T", description = "Kernel threads inside one task (default: 1).")
    Integer threads;

    @Option(names = "--task-memory", paramLabel = "BYTES", description = "Per-task working-set budget (default: executor memory / cores).")
    String taskMemory;

    @Option(names = "--master", paramLabel = "URL", description = "Spark master (default: local[*], or what spark-submit was given).")
    String master;

    @Option(names = "--conf", paramLabel = "KEY=VALUE", description = "Spark or LongAttn setting; repeatable.")
    List<String> conf = new ArrayList<>();

    @Option(names = "--report", paramLabel = "FILE", description = "Write a JSON report of the run to FILE.")
    String report;

    @Option(names = "--verbose", description = "Show stack traces for user errors too.")
    boolean verbose;
}
