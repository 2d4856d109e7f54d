package io.longattn.job.dataset;

import io.longattn.job.JobRequest;
import io.longattn.job.UserError;
import io.longattn.job.parquet.DatasetAttention;
import io.longattn.job.parquet.TensorRows;
import io.longattn.job.report.JobSummary;
import io.longattn.job.settings.Setting;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;

/**
 * LongAttn for Spark applications: Datasets in the Parquet layout in ({@code seq_id}, an optional {@code pos},
 * and a {@code q}, {@code k} or {@code v} array of float32), a Dataset out ({@code seq_id}, {@code pos}, {@code o}
 * and, on request, {@code lse}), planned and balanced as `longattn run` plans a job over packed sequences.
 *
 * <pre>{@code
 * try (LongAttention attention = LongAttention.builder().heads(8, 2).causal(true).lse(true).build()) {
 *     Dataset<Row> out = attention.apply(q, k, v);
 *     out.write().parquet("o.parquet");
 * }
 * }</pre>
 *
 * <p>{@link #apply} runs the job before it returns (the Dataset it returns reads the finished rows). The rows
 * wait in a staging directory until {@link #close()}: a local temporary directory when the master is local,
 * else the one {@link Builder#stagingDir} names, which every executor must see (HDFS, S3A, a shared mount).
 * Heads come from the builder or from the value column's field metadata ({@code longattn.heads},
 * {@code longattn.head_dim}). Without a {@code pos} column a sequence's rows count in the Dataset's order.
 */
public final class LongAttention implements AutoCloseable {
    private final JobRequest template;
    private final int heads;
    private final int kvHeads;
    private final String stagingDir;
    private final PrintStream log;
    private final List<String> staged = new ArrayList<>();
    private final List<SparkSession> sessions = new ArrayList<>();
    private JobSummary lastSummary;

    private LongAttention(Builder b) {
        this.template = b.request.build();
        this.heads = b.heads;
        this.kvHeads = b.kvHeads;
        this.stagingDir = b.stagingDir;
        this.log = b.log;
    }

    public static Builder builder() {
        return new Builder();
    }

    /**
     * Runs attention over the three Datasets (one session) and returns (seq_id, pos, o[, lse]): one row per query
     * row, pos its index in its sequence, in order of seq_id and pos.
     * @throws UserError naming the Dataset, column or option that does not fit the layout
     */
    public Dataset<Row> apply(Dataset<Row> q, Dataset<Row> k, Dataset<Row> v) {
        SparkSession spark = q.sparkSession();
        TensorRows tq = TensorRows.of("the q Dataset", "q", q, functions.monotonically_increasing_id(), Map.of(), heads, "heads");
        TensorRows tk = TensorRows.of("the k Dataset", "k", k, functions.monotonically_increasing_id(), Map.of(), kvHeads, "kvHeads");
        TensorRows tv = TensorRows.of("the v Dataset", "v", v, functions.monotonically_increasing_id(), Map.of(), kvHeads, "kvHeads");
        String dir = stagingDirectory(spark);
        synchronized (staged) {
            staged.add(dir);
            sessions.add(spark);
        }
        DatasetAttention.Result r = DatasetAttention.run(spark, tq, tk, tv, heads, template, dir, log);
        lastSummary = r.summary();
        return DatasetAttention.rows(spark, r);
    }

    /** The summary of the last {@link #apply}: plan, kernel, strategy, time, GFLOP/s; null before one. */
    public JobSummary lastSummary() {
        return lastSummary;
    }

    private String stagingDirectory(SparkSession spark) {
        String name = ".longattn-staging-" + UUID.randomUUID();
        if (stagingDir == null) {
            if (!spark.sparkContext().isLocal()) {
                throw new UserError("stagingDir", "is not set for the master " + spark.sparkContext().master(),
                        "LongAttention.builder().stagingDir(DIR) naming a directory every executor sees (HDFS, S3A, a shared mount)");
            }
            try {
                return Files.createTempDirectory("longattn-staging-").toString();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        String dir = stagingDir.endsWith("/") ? stagingDir + name : stagingDir + "/" + name;
        DatasetAttention.createDirectory(dir, spark.sparkContext().hadoopConfiguration());
        return dir;
    }

    /** Deletes the staging directories of every Dataset {@link #apply} returned; those Datasets cannot be read after it. */
    @Override
    public void close() {
        synchronized (staged) {
            for (int i = 0; i < staged.size(); i++) {
                DatasetAttention.deleteDirectory(staged.get(i), sessions.get(i).sparkContext().hadoopConfiguration());
            }
            staged.clear();
            sessions.clear();
        }
    }

    /** The options of `longattn run`, by their Java names: a job request on the Datasets' q, k, v and o columns. */
    public static final class Builder {
        private final JobRequest.Builder request = JobRequest.builder("q", "k", "v", "o");
        private int heads, kvHeads;
        private String stagingDir;
        private PrintStream log = new PrintStream(OutputStream.nullOutputStream());

        private Builder() {
        }

        /** Query heads and kv heads (0: the value column's field metadata; kv heads default to heads). */
        public Builder heads(int heads, int kvHeads) {
            this.heads = heads;
            this.kvHeads = kvHeads;
            return this;
        }

        public Builder causal(boolean b) {
            request.causal(b);
            return this;
        }

        /** FlashAttention's window: -1 is unbounded. */
        public Builder window(int left, int right) {
            request.window(left, right);
            return this;
        }

        public Builder scale(double s) {
            request.scale(s);
            return this;
        }

        public Builder softcap(double c) {
            request.softcap(c);
            return this;
        }

        /** Adds the column lse (natural log, one value per query head). */
        public Builder lse(boolean b) {
            request.lse(b ? "lse" : null);
            return this;
        }

        public Builder allowNonFinite(boolean b) {
            request.allowNonFinite(b);
            return this;
        }

        /** A LongAttn setting (kernel, partitions, strategy, ...). */
        public <T> Builder set(Setting<T> setting, T value) {
            request.set(setting, value);
            return this;
        }

        /** A setting by its key (spark.longattn.*). */
        public Builder conf(String key, String value) {
            request.conf(key, value);
            return this;
        }

        /** Where staging directories go; required unless the master is local. */
        public Builder stagingDir(String dir) {
            this.stagingDir = dir;
            return this;
        }

        /** A JSON report of each job. */
        public Builder report(String path) {
            request.report(path);
            return this;
        }

        /** Where the job's start and warning lines go (default: nowhere). */
        public Builder log(PrintStream out) {
            this.log = Objects.requireNonNull(out, "log");
            return this;
        }

        public LongAttention build() {
            return new LongAttention(this);
        }
    }
}
