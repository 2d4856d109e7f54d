package io.longattn.job;

import io.longattn.job.dataset.LongAttention;
import io.longattn.job.parquet.ParquetLayout;
import io.longattn.kernels.AttentionSpec;
import io.longattn.kernels.Half;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.example.data.simple.SimpleGroupFactory;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.example.ExampleParquetWriter;
import org.apache.parquet.io.api.Binary;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.MessageTypeParser;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.Metadata;
import org.apache.spark.sql.types.MetadataBuilder;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Parquet datasets in and out of `run`, and the Dataset API, on one local session (Kryo with LongAttn's registrator;
 * registration is not required, since Spark SQL's task results are not registered classes):
 * ragged sequences (1 to 300 rows, one without keys), causal, GQA, judged by the float64 reference; the output
 * committed with _SUCCESS and nothing left on failure; a schema that does not fit is one line.
 */
class ParquetDatasetsTest {
    static SparkSession spark;

    @TempDir
    Path dir;

    static final int HQ = 4, HKV = 2, D = 16, DV = 8;
    /** Sequence ids out of order and not contiguous: the job sorts by seq_id. */
    static final long[] IDS = {70, 3, 12, 900, 41, 5, 8};
    /**
     * Ragged, Sq != Sk, one query, a sequence without keys (41), a decode-like one; short, since SequencesJobTest
     * covers the long ones through the same job and this one adds only the Parquet path.
     */
    static final int[] SQ = {1, 7, 300, 64, 5, 1, 130};
    static final int[] SK = {1, 20, 300, 64, 0, 900, 100};

    @BeforeAll
    static void start() {
        Map<String, String> conf = new HashMap<>();
        conf.put("spark.master", "local[2,4]");
        conf.put("spark.kryo.registrationRequired", "false");
        conf.put("spark.sql.shuffle.partitions", "4");
        spark = SparkSession.builder().config(JobLauncher.sparkConf(conf, null)).getOrCreate();
        spark.sparkContext().setLogLevel("ERROR");
    }

    @AfterAll
    static void stop() {
        spark.stop();
    }

    /** Packed tensors in seq_id order, as the job packs them (ids ascending). */
    record Packed(int[] sq, int[] sk, float[] q, float[] k, float[] v) {
    }

    static Packed packed(long seed) {
        Integer[] order = new Integer[IDS.length];
        for (int i = 0; i < order.length; i++) order[i] = i;
        java.util.Arrays.sort(order, (a, b) -> Long.compare(IDS[a], IDS[b]));
        int[] sq = new int[IDS.length], sk = new int[IDS.length];
        for (int i = 0; i < IDS.length; i++) {
            sq[i] = SQ[order[i]];
            sk[i] = SK[order[i]];
        }
        int tq = SequencesJobTest.sum(sq), tk = SequencesJobTest.sum(sk);
        return new Packed(sq, sk, TestData.random(seed, tq * HQ * D, 1.5), TestData.random(seed + 1, tk * HKV * D, 1.5),
                TestData.random(seed + 2, tk * HKV * DV, 1.0));
    }

    static long[] sortedIds() {
        long[] ids = IDS.clone();
        java.util.Arrays.sort(ids);
        return ids;
    }

    /** Rows (seq_id, pos, values) of a packed tensor, shuffled so that only pos (or the given order) says the order. */
    static Dataset<Row> rows(String column, int[] lengths, float[] x, int perToken, boolean withPos, boolean shuffle,
                             Metadata meta, DataType element) {
        long[] ids = sortedIds();
        List<Row> rows = new ArrayList<>();
        int at = 0;
        for (int s = 0; s < lengths.length; s++) {
            for (int i = 0; i < lengths[s]; i++, at++) {
                Object values;
                if (element.equals(DataTypes.DoubleType)) {
                    double[] d = new double[perToken];
                    for (int j = 0; j < perToken; j++) d[j] = x[at * perToken + j];
                    values = d;
                } else {
                    values = java.util.Arrays.copyOfRange(x, at * perToken, (at + 1) * perToken);
                }
                rows.add(withPos ? RowFactory.create(ids[s], (long) i, values) : RowFactory.create(ids[s], values));
            }
        }
        if (shuffle) Collections.shuffle(rows, new Random(7));
        StructType schema = new StructType().add(ParquetLayout.SEQ_ID, DataTypes.LongType, false);
        if (withPos) schema = schema.add(ParquetLayout.POS, DataTypes.LongType, false);
        schema = schema.add(column, DataTypes.createArrayType(element, false), false, meta);
        return spark.createDataFrame(rows, schema);
    }

    static Metadata heads(int h, int d) {
        return new MetadataBuilder().putString(ParquetLayout.HEADS_KEY, String.valueOf(h)).putString(ParquetLayout.HEAD_DIM_KEY, String.valueOf(d)).build();
    }

    /** O and LSE of a (seq_id, pos, o, lse) Dataset, packed in seq_id order. */
    static float[][] unpack(Dataset<Row> out, Packed p) {
        long[] ids = sortedIds();
        Map<Long, Integer> first = new HashMap<>();
        int at = 0;
        for (int s = 0; s < ids.length; s++) {
            first.put(ids[s], at);
            at += p.sq()[s];
        }
        float[] o = new float[at * HQ * DV], lse = new float[at * HQ];
        boolean[] seen = new boolean[at];
        for (Row r : out.collectAsList()) {
            int row = first.get(r.getLong(0)) + (int) r.getLong(1);
            assertFalse(seen[row], "row " + row + " twice");
            seen[row] = true;
            List<Float> ov = r.getList(2), lv = r.getList(3);
            assertEquals(HQ * DV, ov.size());
            for (int j = 0; j < ov.size(); j++) o[row * HQ * DV + j] = ov.get(j);
            for (int j = 0; j < lv.size(); j++) lse[row * HQ + j] = lv.get(j);
        }
        for (int i = 0; i < at; i++) assertTrue(seen[i], "row " + i + " missing");
        return new float[][]{o, lse};
    }

    static AttentionSpec template(boolean causal) {
        return new AttentionSpec(1, 1, HQ, HKV, D, DV, AttentionSpec.defaultScale(D), causal, -1, causal ? 0 : -1, 0);
    }

    String write(Dataset<Row> ds, String name) {
        String path = dir.resolve(name).toString();
        ds.repartition(3).write().parquet(path);
        return path;
    }

    @Test
    void parquetInAndOutMatchReferenceAndCommitWithSuccessMarker() throws IOException {
        Packed p = packed(11);
        // q's heads from its column's metadata, k/v's from --kv-heads; rows shuffled, in three parts each
        String q = write(rows("q", p.sq(), p.q(), HQ * D, true, true, heads(HQ, D), DataTypes.FloatType), "q.parquet");
        String k = write(rows("k", p.sk(), p.k(), HKV * D, true, true, Metadata.empty(), DataTypes.FloatType), "k");
        String v = write(rows("v", p.sk(), p.v(), HKV * DV, true, true, Metadata.empty(), DataTypes.FloatType), "v");
        String out = dir.resolve("o.parquet").toString();
        JobLauncher.launch(JobRequest.builder(q, k, v, out).lse(out).causal(true).heads(0, HKV)
                .conf("spark.longattn.progressSeconds", "0").conf("spark.longattn.partitions", "3").build(), JobEndToEndTest.QUIET);
        assertTrue(Files.exists(Path.of(out, "_SUCCESS")), "the committer's marker");
        try (Stream<Path> names = Files.list(dir)) {
            assertEquals(List.of("k", "o.parquet", "q.parquet", "v"), names.map(f -> f.getFileName().toString()).sorted().toList(),
                    "no staging or temporary directory left beside the output");
        }
        Dataset<Row> o = spark.read().parquet(out);
        assertEquals(List.of("seq_id", "pos", "o", "lse"), List.of(o.schema().fieldNames()));
        float[][] got = unpack(o, p);
        SequencesJobTest.assertMatchesReference(template(true), p.sq(), p.sk(), p.q(), p.k(), p.v(), got[0], got[1]);

        // an existing output is refused without --overwrite, before any work
        UserError e = assertThrows(UserError.class, () -> JobLauncher.launch(JobRequest.builder(q, k, v, out).heads(HQ, HKV).build(),
                JobEndToEndTest.QUIET));
        assertEquals("--out: " + out + " exists, expected a new path, or --overwrite to replace it", e.getMessage());
    }

    /** Q as Parquet FLOAT16 lists (as pyarrow writes float16), its heads in the footer's key-value metadata. */
    @Test
    void float16ListsAndFooterMetadata() throws IOException {
        Packed p = packed(15);
        float[] q = p.q().clone();
        for (int i = 0; i < q.length; i++) q[i] = Half.toFloat(Half.fromFloat(q[i]));
        MessageType schema = MessageTypeParser.parseMessageType("message m { required int64 seq_id; required int32 pos;"
                + " required group q (LIST) { repeated group list { required fixed_len_byte_array(2) element (FLOAT16); } } }");
        String qPath = dir.resolve("q.parquet").toString();
        long[] ids = sortedIds();
        try (ParquetWriter<Group> w = ExampleParquetWriter.builder(new org.apache.hadoop.fs.Path(Path.of(qPath).toUri())).withType(schema)
                .withExtraMetaData(Map.of(ParquetLayout.HEADS_KEY, String.valueOf(HQ), ParquetLayout.HEAD_DIM_KEY, String.valueOf(D))).build()) {
            SimpleGroupFactory groups = new SimpleGroupFactory(schema);
            int at = 0;
            for (int s = 0; s < ids.length; s++) {
                for (int i = 0; i < p.sq()[s]; i++, at++) {
                    Group row = groups.newGroup().append("seq_id", ids[s]).append("pos", i);
                    Group list = row.addGroup("q");
                    for (int j = 0; j < HQ * D; j++) {
                        short h = Half.fromFloat(q[at * HQ * D + j]);
                        list.addGroup("list").append("element", Binary.fromConstantByteArray(new byte[]{(byte) h, (byte) (h >> 8)}));
                    }
                    w.write(row);
                }
            }
        }
        String k = write(rows("k", p.sk(), p.k(), HKV * D, true, false, Metadata.empty(), DataTypes.FloatType), "k.parquet");
        String v = write(rows("v", p.sk(), p.v(), HKV * DV, true, false, Metadata.empty(), DataTypes.FloatType), "v.parquet");
        String out = dir.resolve("o.parquet").toString();
        JobLauncher.launch(JobRequest.builder(qPath, k, v, out).lse(out).heads(0, HKV).conf("spark.longattn.progressSeconds", "0")
                .build(), JobEndToEndTest.QUIET);
        float[][] got = unpack(spark.read().parquet(out), p);
        SequencesJobTest.assertMatchesReference(template(false), p.sq(), p.sk(), q, p.k(), p.v(), got[0], got[1]);
    }

    @Test
    void aFailedJobLeavesNothing() throws IOException {
        Packed p = packed(12);
        String q = write(rows("q", p.sq(), p.q(), HQ * D, true, true, Metadata.empty(), DataTypes.FloatType), "q.parquet");
        String k = write(rows("k", p.sk(), p.k(), HKV * D, true, false, Metadata.empty(), DataTypes.FloatType), "k.parquet");
        String v = write(rows("v", p.sk(), p.v(), HKV * DV, true, false, Metadata.empty(), DataTypes.FloatType), "v.parquet");
        String out = dir.resolve("o.parquet").toString();
        assertThrows(Exception.class, () -> JobLauncher.launch(JobRequest.builder(q, k, v, out).heads(HQ, HKV)
                .conf("spark.longattn.progressSeconds", "0").conf("spark.longattn.test.failAtUnit", "2")
                .conf("spark.task.maxFailures", "1").build(), JobEndToEndTest.QUIET));
        try (Stream<Path> names = Files.list(dir)) {
            assertEquals(List.of("k.parquet", "q.parquet", "v.parquet"), names.map(f -> f.getFileName().toString()).sorted().toList(),
                    "no output, no staging or temporary directory");
        }
    }

    @Test
    void aSchemaThatDoesNotFitIsOneLine() {
        Packed p = packed(13);
        String q = write(rows("q", p.sq(), p.q(), HQ * D, true, false, Metadata.empty(), DataTypes.DoubleType), "q.parquet");
        String k = write(rows("k", p.sk(), p.k(), HKV * D, false, false, Metadata.empty(), DataTypes.FloatType), "k.parquet");
        String v = write(rows("v", p.sk(), p.v(), HKV * DV, false, false, Metadata.empty(), DataTypes.FloatType)
                .withColumnRenamed("seq_id", "sequence"), "v.parquet");
        String out = dir.resolve("o.parquet").toString();
        UserError e = assertThrows(UserError.class, () -> JobLauncher.launch(JobRequest.builder(q, k, v, out).heads(HQ, HKV).build(),
                JobEndToEndTest.QUIET));
        assertEquals(q + ": column q is array<double>, expected a list or fixed-size list of float32 (array<float>) or float16"
                + " with heads * head_dim values per row", e.getMessage());
        String q2 = write(rows("q", p.sq(), p.q(), HQ * D, false, false, Metadata.empty(), DataTypes.FloatType), "q2.parquet");
        e = assertThrows(UserError.class, () -> JobLauncher.launch(JobRequest.builder(q2, k, v, out).heads(HQ, HKV).build(),
                JobEndToEndTest.QUIET));
        assertEquals(v + ": has no column seq_id (columns: [sequence, v]), expected a column seq_id of int64 naming each row's"
                + " sequence", e.getMessage());
        e = assertThrows(UserError.class, () -> JobLauncher.launch(JobRequest.builder(q2, k, v, dir.resolve("o.npy").toString())
                .heads(HQ, HKV).build(), JobEndToEndTest.QUIET));
        assertTrue(e.getMessage().startsWith("--out: "), e.getMessage());
        assertFalse(e.getMessage().contains("\n"));
    }

    @Test
    void datasetApiMatchesReference() {
        Packed p = packed(14);
        // no pos column: each sequence's rows count in the Dataset's order
        Dataset<Row> q = rows("q", p.sq(), p.q(), HQ * D, false, false, Metadata.empty(), DataTypes.FloatType);
        Dataset<Row> k = rows("k", p.sk(), p.k(), HKV * D, true, true, Metadata.empty(), DataTypes.FloatType);
        Dataset<Row> v = rows("v", p.sk(), p.v(), HKV * DV, true, true, heads(HKV, DV), DataTypes.FloatType);
        try (LongAttention attention = LongAttention.builder().heads(HQ, HKV).causal(true).lse(true)
                .conf("spark.longattn.partitions", "3").build()) {
            Dataset<Row> out = attention.apply(q, k, v);
            float[][] got = unpack(out, p);
            SequencesJobTest.assertMatchesReference(template(true), p.sq(), p.sk(), p.q(), p.k(), p.v(), got[0], got[1]);
            assertEquals(3, attention.lastSummary().job().partitions());
            // V with one key fewer in one sequence than K
            Dataset<Row> shortV = v.filter("NOT (seq_id = 12 AND pos = 0)");
            UserError e = assertThrows(UserError.class, () -> attention.apply(q, k, shortV));
            assertEquals("the v Dataset: seq_id 12 has a different number of rows than in the k Dataset, expected the same rows"
                    + " per seq_id as the keys", e.getMessage());
        }
    }
}
