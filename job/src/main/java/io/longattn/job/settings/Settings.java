package io.longattn.job.settings;

import io.longattn.job.UserError;
import io.longattn.job.io.Compression;
import io.longattn.job.plan.JobPlanner;
import io.longattn.job.spark.OutputWriters;
import io.longattn.job.strategy.BroadcastVia;
import io.longattn.job.strategy.Strategy;
import io.longattn.kernels.Precision;
import io.longattn.partitioner.Assignment;
import io.longattn.partitioner.ChunkPlan;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Every setting of the job, declared once (the way datafusion-comet's CometConf and spark-rapids'
 * RapidsConf do it). Command-line flags set these keys; `--conf spark.longattn.X=...` and
 * spark-defaults.conf set them too. `longattn settings` prints {@link #markdownTable()}, which is the
 * README's table (a test checks they agree).
 */
public final class Settings {
    private Settings() {
    }

    public static final Setting<String> KERNEL = Setting.builder("spark.longattn.kernel").flag("--kernel")
            .doc("Local kernel: auto picks the best one usable here and says why; or a kernel by name, with an option"
                    + " after a colon (simd:4x2, simd:6x4 fix the SIMD tile; cuda:N runs on GPU N).")
            .stringConf(String.join(", ", JobPlanner.kernelNames()), String.join("|", JobPlanner.kernelNames()), "auto");
    public static final Setting<Precision> PRECISION = Setting.builder("spark.longattn.precision").flag("--precision")
            .doc("Arithmetic of the two matrix products: fp32 (exact, every kernel); tf32, fp16, bf16 on GPU tensor cores"
                    + " (kernel cuda), with a float32 softmax and float32 accumulation.")
            .choiceConf(precisions(), Precision.FP32);
    public static final Setting<Integer> Q_CHUNK = Setting.builder("spark.longattn.qChunk").flag("--q-chunk")
            .doc("Query rows per unit; 0 chooses from the shape, partitions, task memory and kernel threads.")
            .intConf(0, ChunkPlan.MAX_CHUNK, 0);
    public static final Setting<Integer> KV_CHUNK = Setting.builder("spark.longattn.kvChunk").flag("--kv-chunk")
            .doc("Keys per kv block; 0 chooses. Output bits depend on it (block order is fixed).")
            .intConf(0, ChunkPlan.MAX_CHUNK, 0);
    public static final Setting<Integer> PARTITIONS = Setting.builder("spark.longattn.partitions").flag("--partitions")
            .doc("Spark partitions for the units; 0 = the job's task slots: local threads, the configured executors x cores,"
                    + " or the executors that registered (waited for as Spark's minRegisteredResourcesRatio /"
                    + " maxRegisteredResourcesWaitingTime).")
            .intConf(0, 1_000_000, 0);
    public static final Setting<Assignment.Policy> BALANCE = Setting.builder("spark.longattn.balance").flag("--balance")
            .doc("Assignment of units to partitions: guided (about 9 tasks per partition, shrinking from the costliest to the"
                    + " cheapest, which Spark hands to whichever slot is free), lpt (one task per partition, balanced, longest first)"
                    + " or none (one per partition, contiguous). Unset, guided, or lpt for jobs under 10 GFLOP per partition.")
            .choiceConf(orderedMap("guided", Assignment.Policy.GUIDED, "lpt", Assignment.Policy.BALANCED, "none", Assignment.Policy.CONTIGUOUS),
                    Assignment.Policy.GUIDED);
    public static final Setting<Strategy> STRATEGY = Setting.builder("spark.longattn.strategy").flag("--strategy")
            .doc("How K/V reach the units: auto, broadcast (Arrow IPC, once per executor), stream (read blocks from the"
                    + " files), split-kv.")
            .choiceConf(Strategy.byLabel(), Strategy.AUTO);
    public static final Setting<Integer> THREADS = Setting.builder("spark.longattn.threads").flag("--threads")
            .paramLabel("T").doc("Kernel threads inside one task (Spark usually gives a task one core).")
            .intConf(1, 256, 1);
    public static final Setting<Long> TASK_MEMORY = Setting.builder("spark.longattn.taskMemory").flag("--task-memory")
            .doc("Per-task working-set budget in bytes; 0 = executor memory / executor cores.")
            .bytesConf(0, 0L);
    public static final Setting<Long> OUTPUT_PARTITION_BYTES = Setting.builder("spark.longattn.outputPartitionBytes")
            .doc("Output bytes the driver holds at most while writing in query order.")
            .bytesConf(1, 8L << 20);
    public static final Setting<OutputWriters> OUTPUT_WRITERS = Setting.builder("spark.longattn.outputWriters")
            .doc("Who writes the output rows: executors (each unit's rows in place in the temporary .npy file, which every"
                    + " executor must see at the same path), driver (results sent to the driver in query order; any format and"
                    + " file system), or auto (executors when every executor runs on the driver's machine and the outputs are .npy"
                    + " files on a local file system).")
            .choiceConf(orderedMap("auto", OutputWriters.AUTO, "executors", OutputWriters.EXECUTORS, "driver", OutputWriters.DRIVER),
                    OutputWriters.AUTO);
    public static final Setting<Integer> WARMUP_MILLIS = Setting.builder("spark.longattn.warmupMillis")
            .doc("Before its first unit, each executor JVM runs its kernel on a small problem with the job's options for at"
                    + " most this many milliseconds, so the JIT compiles the kernel from a profile that has seen every mask edge;"
                    + " 0 (the default: no gain measured in local mode yet) turns it off.")
            .intConf(0, 600_000, 0);
    public static final Setting<Integer> LOCAL_WARMUP_MILLIS = Setting.builder("spark.longattn.localWarmupMillis")
            .doc("On a local master, where the driver is the executor: while Spark starts on a thread of its own, the driver"
                    + " runs the kernel on a small problem with the job's options, until Spark is up or for at most this many"
                    + " milliseconds, so the first units run compiled code; 0 turns it off.")
            .intConf(0, 600_000, 3000);
    public static final Setting<BroadcastVia> BROADCAST_VIA = Setting.builder("spark.longattn.broadcastVia")
            .doc("How broadcast K/V reach each executor JVM: files (each executor reads the input files once, which it sees as it"
                    + " sees Q; on a local master the driver's JVM, where the tasks run), spark (Spark's torrent broadcast of Arrow"
                    + " IPC batches) or auto (files when every executor runs on the driver's machine, else spark).")
            .choiceConf(orderedMap("auto", BroadcastVia.AUTO, "files", BroadcastVia.FILES, "spark", BroadcastVia.SPARK),
                    BroadcastVia.AUTO);
    public static final Setting<Long> BROADCAST_LIMIT = Setting.builder("spark.longattn.broadcastLimitBytes")
            .doc("auto picks broadcast only when K+V (float32) is at most this many bytes.")
            .bytesConf(0, 256L << 20);
    public static final Setting<Compression> COMPRESSION = Setting.builder("spark.longattn.compression").flag("--compression")
            .doc("Record batch compression of Arrow outputs: none, lz4 (LZ4_FRAME, pyarrow's feather default) or zstd."
                    + " Compressed Arrow inputs are read whatever this says; .npy outputs ignore it.")
            .choiceConf(orderedMap("none", Compression.NONE, "lz4", Compression.LZ4, "zstd", Compression.ZSTD), Compression.NONE);
    public static final Setting<Integer> PROGRESS_SECONDS = Setting.builder("spark.longattn.progressSeconds")
            .doc("Seconds between progress lines on the driver; 0 turns progress off.")
            .intConf(0, 86_400, 5);
    public static final Setting<Boolean> TIMELINE = Setting.builder("spark.longattn.timeline").flag("--timeline")
            .doc("Append the job's measured phases (Spark start, checks, scan, planning, K/V distribution, scheduling, executor set-up,"
                    + " compute with each task's compute seconds and, on a GPU, kernel seconds, output, commit) to the final line;"
                    + " --report always has them.")
            .booleanConf(false);
    public static final Setting<Boolean> FAIL_FIRST_ATTEMPT = Setting.builder("spark.longattn.test.failFirstAttempt")
            .doc("Fault injection: every task's first attempt throws after its first unit (retries must succeed).")
            .booleanConf(false);
    public static final Setting<Integer> FAIL_AT_UNIT = Setting.builder("spark.longattn.test.failAtUnit")
            .doc("Fault injection: every attempt of the task holding this unit index throws (the job fails).")
            .intConf(-1, Integer.MAX_VALUE, -1);

    public static final List<Setting<?>> ALL = List.of(KERNEL, PRECISION, Q_CHUNK, KV_CHUNK, PARTITIONS, BALANCE, STRATEGY, THREADS,
            TASK_MEMORY, OUTPUT_PARTITION_BYTES, OUTPUT_WRITERS, WARMUP_MILLIS, LOCAL_WARMUP_MILLIS, BROADCAST_VIA, BROADCAST_LIMIT, COMPRESSION, PROGRESS_SECONDS, TIMELINE, FAIL_FIRST_ATTEMPT, FAIL_AT_UNIT);

    public static Optional<Setting<?>> byKey(String key) {
        return ALL.stream().filter(s -> s.key().equals(key)).findFirst();
    }

    /** Every spark.longattn.* key in conf is a known setting with a legal value, or a UserError. */
    public static void check(Map<String, String> conf) {
        for (String key : conf.keySet()) {
            if (key.startsWith("spark.longattn.") && byKey(key).isEmpty()) {
                throw new UserError("--conf", "unknown setting " + key, "one of the keys in 'longattn settings'");
            }
        }
        for (Setting<?> s : ALL) s.get(conf);
    }

    /** The README table, in Markdown. */
    public static String markdownTable() {
        StringBuilder sb = new StringBuilder();
        sb.append("| setting | flag | type | default | allowed | meaning |\n|---|---|---|---|---|---|\n");
        for (Setting<?> s : ALL) {
            sb.append("| `").append(s.key()).append("` | ").append(s.flag() == null ? "" : "`" + s.flag() + "`")
                    .append(" | ").append(s.typeName()).append(" | `").append(s.defaultText()).append("` | ")
                    .append(s.allowed()).append(" | ").append(s.doc()).append(" |\n");
        }
        return sb.toString();
    }

    private static Map<String, Precision> precisions() {
        Map<String, Precision> m = new LinkedHashMap<>();
        for (Precision p : Precision.values()) m.put(p.id(), p);
        return m;
    }

    private static <E> Map<String, E> orderedMap(String k1, E v1, String k2, E v2) {
        Map<String, E> m = new LinkedHashMap<>();
        m.put(k1, v1);
        m.put(k2, v2);
        return m;
    }

    private static <E> Map<String, E> orderedMap(String k1, E v1, String k2, E v2, String k3, E v3) {
        Map<String, E> m = orderedMap(k1, v1, k2, v2);
        m.put(k3, v3);
        return m;
    }
}
