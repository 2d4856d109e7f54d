package io.longattn.job.parquet;

import io.longattn.job.JobRequest;
import io.longattn.job.UserError;
import io.longattn.job.report.JobSummary;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.util.HadoopInputFile;
import org.apache.parquet.schema.GroupType;
import org.apache.parquet.schema.LogicalTypeAnnotation;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.PrimitiveType;
import org.apache.parquet.schema.Type;
import org.apache.spark.SparkConf;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

import java.io.IOException;
import java.io.PrintStream;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Map;
import java.util.UUID;

/**
 * `run` over Parquet datasets: reads Q/K/V with Spark SQL, runs the job over them packed (see
 * {@link DatasetAttention}) and writes the output dataset with Spark's Parquet writer, whose Hadoop committer
 * moves the executors' part files into place and writes {@code _SUCCESS}. It writes into a hidden sibling of
 * --out that is renamed to --out only after that commit, so --out appears complete, with its marker, or not at all.
 */
public final class ParquetJob {
    private ParquetJob() {
    }

    public static JobSummary launch(JobRequest request, SparkConf sparkConf, PrintStream log) {
        JobRequest.Inputs in = request.inputs();
        // a session this JVM already runs (a test's, an application's) is used and left running
        boolean own = SparkSession.getDefaultSession().isEmpty();
        SparkSession spark = SparkSession.builder().config(sparkConf).getOrCreate();
        String staging = null;
        Configuration conf = spark.sparkContext().hadoopConfiguration();
        try {
            spark.sparkContext().setLogLevel("WARN");
            Path out = DatasetAttention.hadoopPath(in.out());
            FileSystem fs = DatasetAttention.fileSystem(out, conf);
            checkOutput(in.out(), out, fs, in.overwrite());
            TensorRows q = read(spark, in.q(), "q", in.heads(), "--heads");
            TensorRows k = read(spark, in.k(), "k", in.kvHeads(), "--kv-heads");
            TensorRows v = read(spark, in.v(), "v", in.kvHeads(), "--kv-heads");
            staging = sibling(out, "staging").toString();
            DatasetAttention.createDirectory(staging, conf);
            DatasetAttention.Result r = DatasetAttention.run(spark, q, k, v, in.heads(), request, staging, log);
            write(DatasetAttention.rows(spark, r), in.out(), out, fs, in.overwrite());
            return r.summary();
        } finally {
            if (staging != null) DatasetAttention.deleteDirectory(staging, conf);
            if (own) spark.stop();
        }
    }

    /** One input dataset, its rows in file order (files by name) unless a pos column orders them. */
    static TensorRows read(SparkSession spark, String path, String role, int flagHeads, String flag) {
        Path p = DatasetAttention.hadoopPath(path);
        Configuration conf = spark.sparkContext().hadoopConfiguration();
        FileSystem fs = DatasetAttention.fileSystem(p, conf);
        Path first;
        try {
            if (!fs.exists(p)) throw new UserError(path, "does not exist", "a Parquet file or a directory of Parquet parts");
            first = firstPart(fs, p, path);
        } catch (IOException e) {
            throw new UserError(path, "cannot be listed (" + e.getMessage() + ")", "a readable Parquet dataset", e);
        }
        Map<String, String> metadata;
        MessageType fileSchema;
        try (ParquetFileReader reader = ParquetFileReader.open(HadoopInputFile.fromPath(first, conf))) {
            metadata = reader.getFooter().getFileMetaData().getKeyValueMetaData();
            fileSchema = reader.getFooter().getFileMetaData().getSchema();
        } catch (IOException | RuntimeException e) {
            throw new UserError(first.toString().equals(p.toString()) ? path : path + " (" + first.getName() + ")",
                    "is not a Parquet file (" + oneLine(e) + ")", "Parquet files with a seq_id and a " + role + " column", e);
        }
        boolean float16 = isFloat16List(fileSchema, role);
        Dataset<Row> ds;
        try {
            // Spark SQL refuses FLOAT16 unless told to read it as binary
            ds = float16 ? spark.read().schema(float16Schema(fileSchema, role)).parquet(p.toString()) : spark.read().parquet(p.toString());
            ds.schema();
        } catch (Exception e) {
            // Spark's AnalysisException, which Java does not see declared
            throw new UserError(path, "cannot be read as Parquet (" + oneLine(e) + ")", "Parquet files with a seq_id and a " + role + " column", e);
        }
        // without pos, a sequence's rows count in the order they are stored: files by name, rows by index in the file
        return TensorRows.of(path, role, ds, functions.struct(functions.col("_metadata.file_path"), functions.col("_metadata.row_index")),
                metadata, flagHeads, flag, float16);
    }

    /** Whether the column is a list whose values are FLOAT16 (pyarrow writes float16 arrays so). */
    static boolean isFloat16List(MessageType schema, String column) {
        if (!schema.containsField(column)) return false;
        Type t = schema.getType(column);
        while (!t.isPrimitive()) {
            GroupType g = t.asGroupType();
            if (g.getFieldCount() != 1) return false;
            t = g.getType(0);
        }
        return t.asPrimitiveType().getPrimitiveTypeName() == PrimitiveType.PrimitiveTypeName.FIXED_LEN_BYTE_ARRAY
                && t.getLogicalTypeAnnotation() instanceof LogicalTypeAnnotation.Float16LogicalTypeAnnotation;
    }

    /** seq_id, pos (if the file has it) and the FLOAT16 column as binaries; other columns are not read. */
    private static StructType float16Schema(MessageType schema, String column) {
        StructType s = new StructType().add(ParquetLayout.SEQ_ID, DataTypes.LongType);
        if (schema.containsField(ParquetLayout.POS)) s = s.add(ParquetLayout.POS, DataTypes.LongType);
        return s.add(column, DataTypes.createArrayType(DataTypes.BinaryType));
    }

    private static Path firstPart(FileSystem fs, Path p, String path) throws IOException {
        FileStatus status = fs.getFileStatus(p);
        if (!status.isDirectory()) return p;
        FileStatus[] parts = Arrays.stream(fs.listStatus(p)).filter(s -> s.isFile() && !s.getPath().getName().startsWith("_")
                && !s.getPath().getName().startsWith(".")).sorted(Comparator.comparing(s -> s.getPath().getName())).toArray(FileStatus[]::new);
        if (parts.length == 0) throw new UserError(path, "is a directory without Parquet parts", "part files (names not starting with _ or .)");
        return parts[0].getPath();
    }

    static void checkOutput(String given, Path out, FileSystem fs, boolean overwrite) {
        try {
            if (fs.exists(out) && !overwrite) throw new UserError("--out", given + " exists", "a new path, or --overwrite to replace it");
            Path parent = out.getParent();
            if (parent != null && !fs.exists(parent)) throw new UserError("--out", "the directory of " + given + " does not exist", "an existing directory");
        } catch (IOException e) {
            throw new UserError("--out", given + " cannot be checked (" + e.getMessage() + ")", "a writable location", e);
        }
    }

    /** Writes the rows under a hidden sibling, committed by Spark (with _SUCCESS), then renamed to --out. */
    static void write(Dataset<Row> rows, String given, Path out, FileSystem fs, boolean overwrite) {
        Path temp = sibling(out, "tmp");
        try {
            rows.write().parquet(temp.toString());
            if (fs.exists(out)) {
                if (!overwrite) throw new UserError("--out", given + " appeared while the job ran", "a new path, or --overwrite to replace it");
                Path old = sibling(out, "old");
                if (!fs.rename(out, old)) throw new IOException("cannot move the old " + out + " aside");
                if (!fs.rename(temp, out)) {
                    fs.rename(old, out);
                    throw new IOException("cannot rename " + temp + " to " + out);
                }
                fs.delete(old, true);
            } else if (!fs.rename(temp, out)) {
                throw new IOException("cannot rename " + temp + " to " + out);
            }
        } catch (IOException e) {
            throw new UserError("--out", given + " cannot be written (" + e.getMessage() + ")", "a writable location", e);
        } finally {
            try {
                if (fs.exists(temp)) fs.delete(temp, true);
            } catch (IOException ignored) {
                // a hidden leftover; the next run's temporary name differs
            }
        }
    }

    /** A hidden sibling (.name.what-uuid): Spark, Hadoop and pyarrow skip names starting with '.'. */
    static Path sibling(Path out, String what) {
        return new Path(out.getParent(), "." + out.getName() + "." + what + "-" + UUID.randomUUID());
    }

    private static String oneLine(Throwable e) {
        String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        int nl = m.indexOf('\n');
        return nl < 0 ? m : m.substring(0, nl);
    }
}
