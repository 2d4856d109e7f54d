package io.longattn.job.parquet;

import io.longattn.job.JobLauncher;
import io.longattn.job.JobRequest;
import io.longattn.job.UserError;
import io.longattn.job.io.CuSeqlens;
import io.longattn.job.io.TensorFiles;
import io.longattn.job.io.TensorHeader;
import io.longattn.job.report.JobSummary;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

import java.io.File;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Attention over inputs in the Parquet layout, shared by `run` with Parquet paths and the Dataset API: the
 * inputs are packed into a staging directory (Arrow rows plus cu_seqlens, see {@link PackedStaging}), the
 * existing job plans, balances and runs them exactly as it runs packed varlen files, and its O (and LSE)
 * come back as rows (seq_id, pos, o[, lse]) read by the executors, a slice of rows per task.
 */
public final class DatasetAttention {
    private DatasetAttention() {
    }

    /**
     * A finished job: its summary, where its O and LSE rows lie and which sequence each row belongs to.
     *
     * @param ids sequence ids in packed order; rows cuQ[i]..cuQ[i + 1] of O belong to ids[i]
     */
    public record Result(JobSummary summary, TensorHeader o, TensorHeader lse, long[] ids, int[] cuQ) {
    }

    /**
     * Packs the inputs under {@code staging} (a new directory: a local path or a URI every executor sees) and
     * runs the job on the session.
     *
     * @param template     attention options, settings and report of the job; its files are ignored except
     *                     {@code lse} (non-null: LSE is wanted) and allowNonFinite
     * @param headsFallback --heads for K/V without metadata or --kv-heads (0: none)
     * @throws UserError naming the input, column or flag that does not fit
     */
    public static Result run(SparkSession spark, TensorRows q, TensorRows k, TensorRows v, int headsFallback, JobRequest template,
                             String staging, PrintStream log) {
        // V is not counted: staging it against the keys' offsets finds any seq_id whose rows differ
        Map<Long, Long> countQ = PackedStaging.counts(q), countK = PackedStaging.counts(k);
        TreeSet<Long> all = new TreeSet<>(countQ.keySet());
        all.addAll(countK.keySet());
        long[] ids = all.stream().mapToLong(Long::longValue).toArray();
        int[] cuQ = offsets(q, ids, countQ), cuK = offsets(k, ids, countK);
        if (cuQ[ids.length] == 0) throw new UserError(q.name(), "has no rows", "at least one query row");
        if (cuK[ids.length] == 0) throw new UserError(k.name(), "has no rows", "at least one key row in some sequence");
        int hq = q.heads();
        if (hq == 0) {
            throw new UserError(q.name(), "says nothing of its heads (no metadata " + ParquetLayout.HEADS_KEY + ")",
                    "key-value metadata " + ParquetLayout.HEADS_KEY + " and " + ParquetLayout.HEAD_DIM_KEY + ", or --heads H");
        }
        int hkv = k.heads() > 0 ? k.heads() : headsFallback;
        if (hkv == 0) {
            throw new UserError(k.name(), "says nothing of its heads (no metadata " + ParquetLayout.HEADS_KEY + ")",
                    "key-value metadata " + ParquetLayout.HEADS_KEY + ", or --kv-heads G (or --heads H for as many kv heads)");
        }
        int hv = v.heads() > 0 ? v.heads() : hkv;

        Configuration conf = spark.sparkContext().hadoopConfiguration();
        TensorFiles.useHadoopConfiguration(conf);
        String sq = child(staging, "q.arrow"), sk = child(staging, "k.arrow"), sv = child(staging, "v.arrow");
        String so = child(staging, "o.arrow"), slse = template.inputs().lse() == null ? null : child(staging, "lse.arrow");
        String cq = child(staging, "cu_q.npy"), ck = child(staging, "cu_k.npy");
        PackedStaging.write(q, ids, cuQ, hq, sq, null);
        PackedStaging.write(k, ids, cuK, hkv, sk, null);
        PackedStaging.write(v, ids, cuK, hv, sv, k.name());
        writeBytes(cq, CuSeqlens.npyBytes(cuQ), conf);
        writeBytes(ck, CuSeqlens.npyBytes(cuK), conf);

        JobRequest.Inputs in = template.inputs();
        JobRequest staged = new JobRequest(new JobRequest.Inputs(sq, sk, sv, so, slse, true, in.allowNonFinite(), cq, ck),
                template.attention(), template.conf(), spark.sparkContext().master(), template.report());
        String[][] names = {{sq, q.name()}, {sk, k.name()}, {sv, v.name()}, {so, "the output"}, {cq, "the sequences of " + q.name()},
                {ck, "the sequences of " + k.name()}};
        JobSummary summary;
        try {
            JobLauncher.Prepared p = JobLauncher.prepare(staged, log);
            summary = JobLauncher.execute(p, JavaSparkContext.fromSparkContext(spark.sparkContext()), log);
        } catch (UserError e) {
            throw new UserError(rename(e.subject(), names), rename(e.problem(), names), rename(e.expected(), names), e);
        }
        TensorHeader o = TensorFiles.inspect(so, "o");
        TensorHeader lse = slse == null ? null : TensorFiles.inspect(slse, TensorFiles.LSE);
        return new Result(summary, o, lse, ids, cuQ);
    }

    /** The output rows (seq_id, pos, o[, lse]), read from the staged files by the executors, in packed order. */
    public static Dataset<Row> rows(SparkSession spark, Result r) {
        int total = r.o().seq();
        int parts = Math.max(1, Math.min(r.summary().job().partitions(), (total + 1023) / 1024));
        List<int[]> slices = new ArrayList<>(parts);
        for (int i = 0; i < parts; i++) {
            int from = (int) ((long) total * i / parts), to = (int) ((long) total * (i + 1) / parts);
            if (to > from) slices.add(new int[]{from, to});
        }
        JavaRDD<Row> rows = JavaSparkContext.fromSparkContext(spark.sparkContext()).parallelize(slices, slices.size())
                .flatMap(new OutputRows(r.o(), r.lse(), r.ids(), r.cuQ()));
        return spark.createDataFrame(rows, schema(r.lse() != null));
    }

    /** seq_id int64, pos int64 (the row's index in its sequence), o array of float32 (Hq * Dv), lse (Hq). */
    public static StructType schema(boolean lse) {
        List<StructField> fields = new ArrayList<>(List.of(
                DataTypes.createStructField(ParquetLayout.SEQ_ID, DataTypes.LongType, false),
                DataTypes.createStructField(ParquetLayout.POS, DataTypes.LongType, false),
                DataTypes.createStructField(ParquetLayout.O, DataTypes.createArrayType(DataTypes.FloatType, false), false)));
        if (lse) fields.add(DataTypes.createStructField(ParquetLayout.LSE, DataTypes.createArrayType(DataTypes.FloatType, false), false));
        return DataTypes.createStructType(fields);
    }

    private static int[] offsets(TensorRows t, long[] ids, Map<Long, Long> counts) {
        int[] cu = new int[ids.length + 1];
        long at = 0;
        for (int i = 0; i < ids.length; i++) {
            at += counts.getOrDefault(ids[i], 0L);
            if (at > JobLauncher.MAX_SEQUENCE) {
                throw new UserError(t.name(), "has more than " + JobLauncher.MAX_SEQUENCE + " rows", "at most 2^30 rows in all");
            }
            cu[i + 1] = (int) at;
        }
        return cu;
    }

    private static String rename(String text, String[][] names) {
        if (text == null) return null;
        for (String[] n : names) text = text.replace(n[0], n[1]);
        return text;
    }

    /** A path under a directory given as a local path or a URI. */
    static String child(String dir, String name) {
        return dir.endsWith("/") ? dir + name : dir + "/" + name;
    }

    /** A local path (made absolute) or a URI as a Hadoop path. */
    static Path hadoopPath(String path) {
        if (path.matches("^[A-Za-z][A-Za-z0-9+.-]+:/.*")) return new Path(path);
        return new Path(new File(path).getAbsoluteFile().toURI());
    }

    static FileSystem fileSystem(Path p, Configuration conf) {
        try {
            return p.getFileSystem(conf);
        } catch (IOException e) {
            throw new UncheckedIOException(p + ": " + e.getMessage(), e);
        }
    }

    private static void writeBytes(String path, byte[] bytes, Configuration conf) {
        Path p = hadoopPath(path);
        try (FSDataOutputStream out = fileSystem(p, conf).create(p, false)) {
            out.write(bytes);
        } catch (IOException e) {
            throw new UncheckedIOException(path + ": " + e.getMessage(), e);
        }
    }

    /** Makes a new staging directory. */
    public static void createDirectory(String dir, Configuration conf) {
        Path p = hadoopPath(dir);
        try {
            if (!fileSystem(p, conf).mkdirs(p)) throw new IOException("mkdirs failed");
        } catch (IOException e) {
            throw new UserError(dir, "cannot be created (" + e.getMessage() + ")", "a writable directory for LongAttn's staging files", e);
        }
    }

    /** Deletes a staging directory and everything in it; best effort. */
    public static void deleteDirectory(String dir, Configuration conf) {
        Path p = hadoopPath(dir);
        try {
            fileSystem(p, conf).delete(p, true);
        } catch (IOException | RuntimeException ignored) {
            // a leftover staging directory is hidden and named as LongAttn's; nothing else depends on its removal
        }
    }
}
