package io.longattn.job;

import io.longattn.job.io.TensorFiles;
import io.longattn.job.io.TensorHeader;
import io.longattn.job.report.JobSummary;
import io.longattn.job.settings.Settings;
import io.longattn.job.spark.ResultMemory;
import io.longattn.kernels.AttentionSpec;
import io.longattn.kernels.Float64Reference;
import org.apache.spark.SparkException;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The job in Spark local mode (local[2], up to 4 attempts per task) with Kryo registration required,
 * over .npy and Arrow files, judged by the float64 reference row by row.
 */
class JobEndToEndTest {
    /** |O - reference| bound relative to max |V|: float32 accumulation over a few hundred keys (see kernel tests). */
    static final double TOL = 2e-5;

    static JavaSparkContext jsc;
    static final PrintStream QUIET = new PrintStream(new ByteArrayOutputStream());

    @TempDir
    Path dir;

    @BeforeAll
    static void start() {
        Map<String, String> conf = new HashMap<>();
        conf.put("spark.master", "local[2,4]");
        conf.put("spark.kryo.registrationRequired", "true");
        jsc = new JavaSparkContext(JobLauncher.sparkConf(conf, null));
        jsc.setLogLevel("ERROR");
        assertEquals("true", jsc.getConf().get("spark.kryo.registrationRequired"));
        assertEquals("org.apache.spark.serializer.KryoSerializer", jsc.getConf().get("spark.serializer"));
    }

    @AfterAll
    static void stop() {
        jsc.stop();
    }

    static Map<String, String> options(String... kv) {
        Map<String, String> conf = new HashMap<>();
        for (int i = 0; i < kv.length; i += 2) conf.put(kv[i], kv[i + 1]);
        conf.put("spark.longattn.progressSeconds", "0");
        return conf;
    }

    JobSummary run(String[] qkv, String out, String lse, boolean causal, String window, Double scale, Double softcap,
                   Map<String, String> conf) {
        return run(qkv, out, lse, causal, window, scale, softcap, conf, null);
    }

    JobSummary run(String[] qkv, String out, String lse, boolean causal, String window, Double scale, Double softcap,
                   Map<String, String> conf, String report) {
        JobRequest.Builder b = JobRequest.builder(qkv[0], qkv[1], qkv[2], out).lse(lse).causal(causal).report(report);
        if (window != null) b.window(Integer.parseInt(window.split(",")[0]), Integer.parseInt(window.split(",")[1]));
        if (scale != null) b.scale(scale);
        if (softcap != null) b.softcap(softcap);
        conf.forEach(b::conf);
        return JobLauncher.execute(JobLauncher.prepare(b.build(), QUIET), jsc, QUIET);
    }

    static float[] read(String path, String role) {
        return TensorFiles.readAll(path, role);
    }

    /** Every row of O (and LSE) against the float64 reference. */
    static void assertMatchesReference(AttentionSpec spec, String[] qkv, String out, String lse) {
        float[] q = read(qkv[0], "q"), k = read(qkv[1], "k"), v = read(qkv[2], "v");
        float[] o = read(out, "o");
        float[] l = lse == null ? null : readLse(lse);
        double maxV = 0;
        for (float x : v) maxV = Math.max(maxV, Math.abs(x));
        double[] ref = new double[spec.dv()];
        for (int i = 0; i < spec.sq(); i++) {
            for (int h = 0; h < spec.hq(); h++) {
                double refLse = Float64Reference.row(spec, q, k, v, i, h, ref);
                for (int c = 0; c < spec.dv(); c++) {
                    float got = o[(i * spec.hq() + h) * spec.dv() + c];
                    assertFalse(Float.isNaN(got), "NaN at row " + i);
                    assertEquals(ref[c], got, TOL * maxV, "O row " + i + " head " + h + " col " + c);
                }
                if (l != null) {
                    float got = l[i * spec.hq() + h];
                    if (refLse == Double.NEGATIVE_INFINITY) assertEquals(Float.NEGATIVE_INFINITY, got, "LSE row " + i);
                    else assertEquals(refLse, got, 1e-4 * Math.max(1, Math.abs(refLse)), "LSE row " + i + " head " + h);
                }
            }
        }
    }

    @Test
    void rowsThatSeeNoKeyAreAnnouncedAndGiveZeros() {
        // Sq = 40 > Sk = 10, causal, bottom-right aligned: query i sees keys j <= i - 30, so rows 0..29 see none.
        // (With bounds >= -1 the last row always sees key Sk - 1, so a mask can never hide every key of every row.)
        String[] qkv = TestData.write(dir, ".npy", 40, 10, 1, 1, 8, 8, 19);
        String out = dir.resolve("o.npy").toString(), lse = dir.resolve("lse.npy").toString();
        java.io.ByteArrayOutputStream log = new java.io.ByteArrayOutputStream();
        PrintStream ps = new PrintStream(log, true);
        JobRequest request = JobRequest.builder(qkv[0], qkv[1], qkv[2], out).lse(lse).causal(true)
                .set(Settings.PROGRESS_SECONDS, 0).build();
        JobSummary s = JobLauncher.execute(JobLauncher.prepare(request, ps), jsc, ps);
        assertTrue(log.toString().contains("warning: 30 of 40 query rows see no key"), log.toString());
        assertMatchesReference(s.job().spec(), qkv, out, lse);
    }

    static float[] readLse(String path) {
        TensorHeader h = TensorFiles.inspect(path, "lse");
        float[] all = new float[h.seq() * h.heads()];
        try (var r = TensorFiles.open(h)) {
            r.readRows(0, h.seq(), all, 0);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return all;
    }

    @Test
    void causalMhaOverNpyMatchesReference() throws Exception {
        String[] qkv = TestData.write(dir, ".npy", 300, 300, 2, 2, 32, 32, 11);
        String out = dir.resolve("o.npy").toString(), lse = dir.resolve("lse.npy").toString();
        Map<String, String> opt = options("spark.longattn.qChunk", "64", "spark.longattn.kvChunk", "48", "spark.longattn.partitions", "3",
                "spark.longattn.balance", "guided");
        String reportPath = dir.resolve("report.json").toString();
        JobSummary s = run(qkv, out, lse, true, null, null, null, opt, reportPath);
        assertEquals(3, s.job().partitions());
        assertMatchesReference(s.job().spec(), qkv, out, lse);
        String report = Files.readString(Path.of(reportPath));
        for (String key : List.of("\"shape\"", "\"strategy\": \"broadcast\"", "\"strategy_reason\"", "\"kernel_reason\"",
                "\"q_chunk\": 64", "\"kv_chunk\": 48", "\"partitions\": 3", "\"wall_seconds\"", "\"gflops\"",
                "\"task_seconds_max\"", "\"task_working_set_bytes\"")) {
            assertTrue(report.contains(key), key + " in " + report);
        }
        int tasks = Integer.parseInt(report.split("\"tasks\": ")[1].split("[,}\\s]")[0]);
        assertEquals(s.tasks(), tasks);
        assertTrue(tasks > 3, "guided: more tasks than the 3 partitions, " + tasks);
        assertEquals(tasks, report.split("\"task_seconds\": \\[")[1].split("]")[0].split(",").length, "one time per compute task");
        // the test context's local[2] threads are the slots the tasks ran on
        int slots = report.split("\"slot_seconds\": \\[")[1].split("]")[0].split(",").length;
        assertTrue(slots >= 1 && slots <= 2, "slots " + slots + " in " + report);
    }

    @Test
    void gqaWindowSoftcapScaleArrowWithSqNotSk() {
        String[] qkv = TestData.write(dir, ".arrow", 70, 131, 4, 2, 32, 48, 12);
        String out = dir.resolve("o.arrow").toString(), lse = dir.resolve("lse.arrow").toString();
        JobSummary s = run(qkv, out, lse, false, "40,7", 0.3, 5.0, options("spark.longattn.qChunk", "16",
                "spark.longattn.kvChunk", "32", "spark.longattn.partitions", "4"));
        AttentionSpec spec = s.job().spec();
        assertEquals(2, spec.groupSize());
        assertEquals(48, spec.dv());
        assertMatchesReference(spec, qkv, out, lse);
    }

    @Test
    void causalWithMoreQueriesThanKeysGivesZerosAndMinusInfinity() {
        String[] qkv = TestData.write(dir, ".npy", 90, 40, 1, 1, 16, 16, 13);
        String out = dir.resolve("o.npy").toString(), lse = dir.resolve("lse.npy").toString();
        JobSummary s = run(qkv, out, lse, true, null, null, null, options("spark.longattn.qChunk", "32", "spark.longattn.kvChunk", "16"));
        assertMatchesReference(s.job().spec(), qkv, out, lse);
        float[] l = readLse(lse);
        assertEquals(Float.NEGATIVE_INFINITY, l[0]); // query 0 sees keys j <= 0 + (40 - 90) < 0: none
        assertTrue(Float.isFinite(l[89]));
    }

    @Test
    void outputBitsDoNotDependOnPartitionsBalanceStrategyOrThreads() throws Exception {
        String[] qkv = TestData.write(dir, ".npy", 257, 257, 2, 1, 32, 32, 14);
        String[][] variants = {
                {"spark.longattn.partitions", "1", "spark.longattn.balance", "none", "spark.longattn.strategy", "broadcast"},
                {"spark.longattn.partitions", "7", "spark.longattn.balance", "lpt", "spark.longattn.strategy", "broadcast"},
                {"spark.longattn.partitions", "5", "spark.longattn.balance", "lpt", "spark.longattn.strategy", "stream"},
                {"spark.longattn.partitions", "2", "spark.longattn.balance", "lpt", "spark.longattn.strategy", "stream",
                        "spark.longattn.threads", "2"},
        };
        byte[] first = null;
        for (int i = 0; i < variants.length; i++) {
            String out = dir.resolve("o" + i + ".npy").toString();
            String[] kv = Stream.concat(Stream.of(variants[i]), Stream.of("spark.longattn.qChunk", "32", "spark.longattn.kvChunk", "64"))
                    .toArray(String[]::new);
            JobSummary s = run(qkv, out, null, true, null, null, null, options(kv));
            assertEquals(variants[i][5], s.job().strategy().strategy().label());
            byte[] bytes = Files.readAllBytes(Path.of(out));
            if (first == null) first = bytes;
            else assertArrayEquals(first, bytes, "output bytes differ for " + List.of(variants[i]));
        }
    }

    @Test
    void splitKvMatchesReference() {
        String[] qkv = TestData.write(dir, ".npy", 5, 700, 2, 2, 32, 32, 15);
        String out = dir.resolve("o.npy").toString(), lse = dir.resolve("lse.npy").toString();
        JobSummary s = run(qkv, out, lse, false, null, null, null, options("spark.longattn.strategy", "split-kv",
                "spark.longattn.kvChunk", "64", "spark.longattn.partitions", "4"));
        assertTrue(s.job().plan().kvSplits() > 1, "split-kv splits the keys");
        assertMatchesReference(s.job().spec(), qkv, out, lse);
    }

    @Test
    void autoPicksSplitKvForFewQueries() {
        String[] qkv = TestData.write(dir, ".npy", 3, 2048, 1, 1, 16, 16, 16);
        String out = dir.resolve("o.npy").toString();
        JobSummary s = run(qkv, out, null, true, null, null, null, options("spark.longattn.partitions", "2"));
        assertEquals("split-kv", s.job().strategy().strategy().label());
        assertMatchesReference(s.job().spec(), qkv, out, null);
    }

    @Test
    void firstAttemptFailuresAreRetriedToTheSameBits() throws Exception {
        String[] qkv = TestData.write(dir, ".npy", 200, 200, 2, 2, 16, 16, 17);
        String clean = dir.resolve("clean.npy").toString(), faulty = dir.resolve("faulty.npy").toString();
        run(qkv, clean, null, true, null, null, null, options("spark.longattn.qChunk", "16", "spark.longattn.partitions", "3"));
        run(qkv, faulty, null, true, null, null, null, options("spark.longattn.qChunk", "16", "spark.longattn.partitions", "3",
                "spark.longattn.test.failFirstAttempt", "true"));
        assertArrayEquals(Files.readAllBytes(Path.of(clean)), Files.readAllBytes(Path.of(faulty)));
    }

    @Test
    void aJobThatFailsMidwayLeavesNothingAtTheOutputPath() throws Exception {
        String[] qkv = TestData.write(dir, ".npy", 200, 200, 1, 1, 16, 16, 18);
        Path out = dir.resolve("o.npy"), lse = dir.resolve("lse.npy");
        Exception e = assertThrows(Exception.class, () -> run(qkv, out.toString(), lse.toString(), false, null, null, null,
                options("spark.longattn.qChunk", "16", "spark.longattn.partitions", "2", "spark.longattn.test.failAtUnit", "9")));
        assertTrue(e instanceof SparkException || e.getCause() != null, e.toString());
        assertFalse(Files.exists(out));
        assertFalse(Files.exists(lse));
        try (Stream<Path> files = Files.list(dir)) {
            List<String> names = files.map(p -> p.getFileName().toString()).sorted().toList();
            assertEquals(List.of("k.npy", "q.npy", "v.npy"), names, "no temporary file is left behind");
        }
    }

    @Test
    void theReportsTimelineHasEveryPhaseInOrderWithEachTasksComputeTime() throws Exception {
        String[] qkv = TestData.write(dir, ".npy", 300, 300, 2, 2, 32, 32, 21);
        String out = dir.resolve("o.npy").toString(), reportPath = dir.resolve("report.json").toString();
        JobSummary s = run(qkv, out, null, true, null, null, null, options("spark.longattn.qChunk", "32",
                "spark.longattn.partitions", "3"), reportPath);
        String timeline = Files.readString(Path.of(reportPath)).split("\"timeline\": ")[1];
        java.util.regex.Matcher m = java.util.regex.Pattern
                .compile("\"(\\w+)\": \\{\"start\": ([0-9.]+), \"seconds\": ([0-9.]+)").matcher(timeline);
        List<String> names = new java.util.ArrayList<>();
        double lastStart = 0;
        while (m.find()) {
            names.add(m.group(1));
            double start = Double.parseDouble(m.group(2)), end = start + Double.parseDouble(m.group(3));
            assertTrue(start >= lastStart, m.group(1) + " starts before the phase listed above it: " + timeline);
            assertTrue(end <= s.timeline().now(), m.group(1) + " ends after the job: " + timeline);
            lastStart = start;
        }
        assertEquals(List.of("input_checks", "nonfinite_scan", "planning", "assignment", "kv_distribution", "scheduling",
                "executor_setup", "compute", "output", "commit"), names, timeline);
        String tasks = timeline.split("\"task_seconds\": \\[")[1].split("]")[0];
        assertEquals(s.tasks(), tasks.split(",").length, "one compute time per task: " + timeline);
        // a job this small (well under 10 GFLOP per partition) runs one task per partition unless guided is asked for
        assertEquals(io.longattn.partitioner.Assignment.Policy.BALANCED, s.job().balance());
        assertEquals(3, s.tasks());
    }

    @Test
    void rowsWrittenInPlaceByExecutorsAreTheDriversBytesWhateverThePartitions() throws Exception {
        // MHA (a unit holds some heads of its rows) and GQA (a unit holds all of them) both reach the file in place
        for (int hkv : new int[]{3, 1}) {
            Path inputs = Files.createDirectories(dir.resolve("hkv" + hkv));
            String[] qkv = TestData.write(inputs, ".npy", 333, 333, 3, hkv, 16, 24, 22 + hkv);
            Map<String, byte[]> bytes = new java.util.LinkedHashMap<>();
            // K/V as Spark's broadcast or read from the files in the driver's JVM: the same arrays, the same bits
            for (String via : new String[]{"files", "spark"}) {
                for (String writers : new String[]{"driver", "executors"}) {
                    for (String partitions : new String[]{"1", "7"}) {
                        String name = writers + "-" + partitions + "-" + hkv + "-" + via;
                        Path out = dir.resolve(name + ".o.npy"), lse = dir.resolve(name + ".lse.npy");
                        long before = ResultMemory.allocated();
                        run(qkv, out.toString(), lse.toString(), true, null, null, null, options("spark.longattn.qChunk", "40",
                                "spark.longattn.partitions", partitions, "spark.longattn.outputWriters", writers,
                                "spark.longattn.broadcastVia", via));
                        assertEquals(before, ResultMemory.allocated(), name + ": every result block is closed after the job");
                        bytes.put(name + " o", Files.readAllBytes(out));
                        bytes.put(name + " lse", Files.readAllBytes(lse));
                    }
                }
            }
            byte[] o = bytes.get("driver-1-" + hkv + "-spark o"), l = bytes.get("driver-1-" + hkv + "-spark lse");
            bytes.forEach((name, b) -> assertArrayEquals(name.endsWith(" o") ? o : l, b, name + " differs from the driver's, 1 partition"));
        }
        try (Stream<Path> files = Files.list(dir)) {
            assertTrue(files.noneMatch(p -> p.getFileName().toString().contains(".tmp-")), "no temporary file is left behind");
        }
    }

    @Test
    void rowsTheDriverWritesFromArrowResultBlocksAreTheExecutorsBytesWithSplitKvAndArrowOutputs() throws Exception {
        // MHA (the driver interleaves the groups' blocks) and GQA (one block is a chunk's rows as they are); stream
        // sends finished rows, split-KV sends partial summaries to the merge, whose finished rows then travel on
        for (int hkv : new int[]{3, 1}) {
            Path inputs = Files.createDirectories(dir.resolve("blocks" + hkv));
            String[] qkv = TestData.write(inputs, ".npy", 90, 700, 3, hkv, 16, 24, 40 + hkv);
            for (String strategy : new String[]{"stream", "split-kv"}) {
                Map<String, float[]> rows = new java.util.LinkedHashMap<>();
                for (String written : new String[]{"executors.npy", "driver.npy", "driver.arrow"}) {
                    String writers = written.split("\\.")[0], ext = written.substring(written.indexOf('.'));
                    String name = strategy + "-" + hkv + "-" + writers;
                    String out = dir.resolve(name + ".o" + ext).toString(), lse = dir.resolve(name + ".lse" + ext).toString();
                    long before = ResultMemory.allocated();
                    run(qkv, out, lse, true, null, null, null, options("spark.longattn.qChunk", "32", "spark.longattn.kvChunk", "64",
                            "spark.longattn.partitions", "4", "spark.longattn.strategy", strategy, "spark.longattn.outputWriters", writers));
                    assertEquals(before, ResultMemory.allocated(), name + ": every result block is closed after the job");
                    rows.put(written + " o", TensorFiles.readAll(out, "o"));
                    rows.put(written + " lse", TensorFiles.readAll(lse, TensorFiles.LSE));
                    if (ext.equals(".npy") && writers.equals("driver")) {
                        assertArrayEquals(Files.readAllBytes(dir.resolve(strategy + "-" + hkv + "-executors.o.npy")),
                                Files.readAllBytes(Path.of(out)), name + ": o.npy differs from the executors' file");
                        assertArrayEquals(Files.readAllBytes(dir.resolve(strategy + "-" + hkv + "-executors.lse.npy")),
                                Files.readAllBytes(Path.of(lse)), name + ": lse.npy differs from the executors' file");
                    }
                }
                for (String tensor : new String[]{" o", " lse"}) {
                    int[] placed = bits(rows.get("executors.npy" + tensor));
                    assertArrayEquals(placed, bits(rows.get("driver.arrow" + tensor)), strategy + " hkv " + hkv + tensor
                            + ": the driver's Arrow file holds other bits than the executors' .npy");
                }
            }
        }
    }

    private static int[] bits(float[] x) {
        int[] b = new int[x.length];
        for (int i = 0; i < x.length; i++) b[i] = Float.floatToRawIntBits(x[i]);
        return b;
    }

    @Test
    void executorsAskedToWriteAnArrowOutputIsAUserError() {
        String[] qkv = TestData.write(dir, ".npy", 50, 50, 1, 1, 8, 8, 30);
        String out = dir.resolve("o.arrow").toString();
        UserError e = assertThrows(UserError.class, () -> run(qkv, out, null, false, null, null, null,
                options("spark.longattn.outputWriters", "executors")));
        assertTrue(e.getMessage().contains("spark.longattn.outputWriters") && e.getMessage().contains("o.arrow"), e.getMessage());
        assertFalse(Files.exists(Path.of(out)));
    }
}
