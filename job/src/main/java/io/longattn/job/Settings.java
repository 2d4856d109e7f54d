package io.longattn.job;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Every setting of the job in one place: its Spark configuration key, default and meaning. Command-line
 * flags set these keys; `--conf spark.longattn.X=...` or spark-defaults.conf set them too. The README's
 * settings table is generated from this list (`bin/longattn settings`) and a test checks they agree.
 */
public final class Settings {
    private Settings() {
    }

    /** One setting. */
    public record Setting(String key, String flag, String defaultValue, String meaning) {
        public String get(Map<String, String> conf) {
            return conf.getOrDefault(key, defaultValue);
        }
    }

    public static final Setting KERNEL = new Setting("spark.longattn.kernel", "--kernel", "auto",
            "Local kernel: auto (simd when the Vector API is usable, else scalar), simd, scalar.");
    public static final Setting Q_CHUNK = new Setting("spark.longattn.qChunk", "--q-chunk", "0",
            "Query rows per unit; 0 chooses from the shape, partitions, task memory and kernel threads.");
    public static final Setting KV_CHUNK = new Setting("spark.longattn.kvChunk", "--kv-chunk", "0",
            "Keys per kv block; 0 chooses. Output bits depend on it (block order is fixed).");
    public static final Setting PARTITIONS = new Setting("spark.longattn.partitions", "--partitions", "0",
            "Spark partitions for the units; 0 = Spark's default parallelism.");
    public static final Setting BALANCE = new Setting("spark.longattn.balance", "--balance", "lpt",
            "Assignment of units to partitions: lpt (balanced, longest first) or none (contiguous).");
    public static final Setting STRATEGY = new Setting("spark.longattn.strategy", "--strategy", "auto",
            "How K/V reach the units: auto, broadcast (Arrow IPC, once per executor), stream (read blocks from the files), split-kv.");
    public static final Setting THREADS = new Setting("spark.longattn.threads", "--threads", "1",
            "Kernel threads inside one task (Spark usually gives a task one core).");
    public static final Setting TASK_MEMORY = new Setting("spark.longattn.taskMemory", "--task-memory", "0",
            "Per-task working-set budget in bytes; 0 = executor memory / executor cores.");
    public static final Setting OUTPUT_PARTITION_BYTES = new Setting("spark.longattn.outputPartitionBytes", null,
            "8388608", "Output bytes the driver holds at most while writing in query order.");
    public static final Setting BROADCAST_LIMIT = new Setting("spark.longattn.broadcastLimitBytes", null,
            "268435456", "auto picks broadcast only when K+V (float32) is at most this many bytes.");
    public static final Setting PROGRESS_SECONDS = new Setting("spark.longattn.progressSeconds", null, "5",
            "Seconds between progress lines on the driver; 0 turns progress off.");
    public static final Setting FAIL_FIRST_ATTEMPT = new Setting("spark.longattn.test.failFirstAttempt", null, "false",
            "Fault injection: every task's first attempt throws after its first unit (retries must succeed).");
    public static final Setting FAIL_AT_UNIT = new Setting("spark.longattn.test.failAtUnit", null, "-1",
            "Fault injection: every attempt of the task holding this unit index throws (the job fails).");

    public static final List<Setting> ALL = List.of(KERNEL, Q_CHUNK, KV_CHUNK, PARTITIONS, BALANCE, STRATEGY, THREADS,
            TASK_MEMORY, OUTPUT_PARTITION_BYTES, BROADCAST_LIMIT, PROGRESS_SECONDS, FAIL_FIRST_ATTEMPT, FAIL_AT_UNIT);

    public static Optional<Setting> byKey(String key) {
        return ALL.stream().filter(s -> s.key().equals(key)).findFirst();
    }

    /** The README table, in Markdown. */
    public static String markdownTable() {
        StringBuilder sb = new StringBuilder();
        sb.append("| setting | flag | default | meaning |\n|---|---|---|---|\n");
        for (Setting s : ALL) {
            sb.append("| `").append(s.key()).append("` | ").append(s.flag() == null ? "" : "`" + s.flag() + "`")
                    .append(" | `").append(s.defaultValue()).append("` | ").append(s.meaning()).append(" |\n");
        }
        return sb.toString();
    }
}
