package io.longattn.job.scale;

import io.longattn.job.JobRequest;
import io.longattn.job.UserError;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Sizes, efficiency, the CSV and the report reader, without a cluster. */
class ScaleMathTest {
    static ScaleRequest request(ScaleMode mode, JobRequest.Attention a, Map<String, String> conf) {
        return new ScaleRequest(mode, List.of(1, 2, 4), 1, new ScaleRequest.Shape(4096, 4096, 2, 2, 64, 64), a, 1, null,
                Path.of("x"), conf, List.of(), true);
    }

    static final JobRequest.Attention CAUSAL = new JobRequest.Attention(true, -1, -1, null, null);

    @Test
    void weakLengthsGrowWithTheSquareRootOrLinearlyUnderABoundedWindow() {
        ScaleRequest causal = request(ScaleMode.WEAK, CAUSAL, Map.of());
        assertEquals(4096, causal.shapeAt(1).seq());
        assertEquals(5824, causal.shapeAt(2).seq()); // 4096 sqrt 2 = 5792.6, rounded to 64 tokens
        assertEquals(8192, causal.shapeAt(4).seq());
        ScaleRequest window = request(ScaleMode.WEAK, new JobRequest.Attention(true, 256, -1, null, null), Map.of());
        assertTrue(window.boundedWindow());
        assertEquals(16384, window.shapeAt(4).seq());
        assertEquals("256,0", window.windowText());
        ScaleRequest oneSided = request(ScaleMode.WEAK, new JobRequest.Attention(false, 256, -1, null, null), Map.of());
        assertEquals(8192, oneSided.shapeAt(4).seq(), "a window open on the right sees O(S) keys per row");
        assertEquals(4096, request(ScaleMode.STRONG, CAUSAL, Map.of()).shapeAt(4).seq());
        assertEquals(16, ScaleMode.granule(256));
        assertEquals(256, ScaleMode.granule(1 << 20));
    }

    static ScaleRun run(int n, double wall, double flops, double... tasks) {
        return new ScaleRun(n, new ScaleRequest.Shape(4096, 4096, 2, 2, 64, 64), 1, "simd", n, wall, tasks, 1, flops, "ab");
    }

    @Test
    void efficiencyIsWorkPerExecutorSecondAgainstTheBaselineMedian() {
        ResultsTable strong = new ResultsTable(request(ScaleMode.STRONG, CAUSAL, Map.of()), new ResultsTable.Environment("c", "17", "h"));
        strong.add(run(1, 10, 100, 9));
        strong.add(run(4, 3, 100, 2, 2, 2, 2.5));
        assertEquals(10.0 / (4 * 3), strong.efficiency(strong.runs().get(1)), 1e-12);
        assertEquals(3 - 8.5 / 4, strong.overhead(strong.runs().get(1)), 1e-12);
        assertEquals(2.5 / (8.5 / 4), strong.runs().get(1).maxOverMean(), 1e-12);
        ResultsTable.Point p4 = strong.points().get(1);
        assertEquals(2.5, p4.idealWall(), 1e-12);

        ResultsTable weak = new ResultsTable(request(ScaleMode.WEAK, CAUSAL, Map.of()), new ResultsTable.Environment("c", "17", "h"));
        weak.add(run(1, 10, 100, 9));
        weak.add(run(4, 12.5, 400, 10, 10, 10, 10));
        assertEquals(0.8, weak.efficiency(weak.runs().get(1)), 1e-12);
        weak.add(run(2, 10, 210, 9, 9)); // 5% more than twice the work: the time it may take more
        assertEquals(1.05, weak.efficiency(weak.runs().get(2)), 1e-12);
        assertEquals(5.0, ResultsTable.median(new double[]{9, 1, 5}));
        assertEquals(4.0, ResultsTable.median(new double[]{9, 1, 3, 5}));
    }

    @Test
    void ceilingIsPerCorePeakAgainstTheBaselinesPerCorePeak() {
        ScaleRequest req = new ScaleRequest(ScaleMode.STRONG, List.of(1, 2, 4), 2, new ScaleRequest.Shape(64, 64, 1, 1, 8, 8), CAUSAL,
                1, null, Path.of("x"), Map.of(), List.of(), true);
        assertEquals(List.of(2, 4, 8), MachineCeiling.threadCounts(req));
        assertEquals(0.75, MachineCeiling.ceiling(new MachineCeiling.Probe(8, 300), new MachineCeiling.Probe(2, 100)), 1e-12);
        // the probe JVM's lines, between the warnings a JVM may print
        MachineCeiling c = MachineCeiling.parse(2, List.of(2, 4, 8),
                "WARNING: Using incubator modules: jdk.incubator.vector\nprobe 2 100.0\nprobe 4 190\nprobe 8 3.0e2\n");
        assertTrue(c.measured(), c.missing());
        assertEquals(1.0, c.atExecutors(1), 1e-12);
        assertEquals(0.95, c.atExecutors(2), 1e-12);
        assertEquals(0.75, c.atExecutors(4), 1e-12);
        assertTrue(Double.isNaN(c.atExecutors(3)));
        assertEquals("""
                threads,gflops,per_core,ceiling
                2,100.00,50.000,1.0000
                4,190.00,47.500,0.9500
                8,300.00,37.500,0.7500
                """, c.csv());

        MachineCeiling missing = MachineCeiling.parse(2, List.of(2, 4, 8), "probe 2 100.0\nprobe 4 NaN\nprobe 8 300\n");
        assertFalse(missing.measured());
        assertTrue(missing.missing().contains("for 4 threads"), missing.missing());
        assertTrue(Double.isNaN(missing.atExecutors(1)));
        assertFalse(MachineCeiling.parse(2, List.of(2, 4, 8), "Error: Could not find or load main class\n").measured());

        assertNull(MachineCeiling.skipped(req));
        assertEquals("--no-probe", MachineCeiling.skipped(new ScaleRequest(ScaleMode.STRONG, List.of(1), 1, req.shape(), CAUSAL, 1,
                null, Path.of("x"), Map.of(), List.of(), false)));
        String cluster = MachineCeiling.skipped(new ScaleRequest(ScaleMode.STRONG, List.of(1), 1, req.shape(), CAUSAL, 1,
                "spark://h:7077", Path.of("x"), Map.of(), List.of(), true));
        assertTrue(cluster.contains("--master spark://h:7077"), cluster);

        ResultsTable t = new ResultsTable(req, new ResultsTable.Environment("c", "17", "h"));
        String sha = "ab".repeat(32);
        t.add(new ScaleRun(1, req.shape(), 1, "simd", 1, 10, new double[]{9}, 10, 100, sha));
        t.add(new ScaleRun(2, req.shape(), 1, "simd", 2, 5.5, new double[]{4.5, 4.5}, 18.2, 100, sha));
        String summary = ScaleSummary.markdown(req, t, t.points(), c, "strong", null, null);
        assertTrue(summary.contains("| efficiency | ceiling | of attainable |"), summary);
        // 2 executors: efficiency 10 / (2 x 5.5) = 0.909 against a ceiling of 0.95
        assertTrue(summary.contains("| 0.909 | 0.950 | 0.957 |"), summary);
        String skipped = ScaleSummary.markdown(req, t, t.points(), MachineCeiling.notMeasured(2, cluster), "strong", null, null);
        assertTrue(skipped.contains("Machine ceiling: not measured (" + cluster + ")"), skipped);
        assertFalse(skipped.contains("of attainable"), skipped);
    }

    @Test
    void csvQuotesTheWindowAndKeepsTheColumnsInOrder() {
        ScaleRequest req = request(ScaleMode.STRONG, new JobRequest.Attention(false, 128, 128, null, null), Map.of());
        ResultsTable t = new ResultsTable(req, new ResultsTable.Environment("abc", "17.0.15", "host"));
        t.add(run(1, 2, 100, 1.5));
        String[] lines = t.csv().split("\n");
        assertEquals(String.join(",", ResultsTable.COLUMNS), lines[0]);
        assertEquals("strong,1,1,simd,4096,4096,2,2,64,64,false,\"128,128\",1,2.000,1.500,0.500,1.000,1.00,1.0000,ab,abc,17.0.15,host",
                lines[1]);
    }

    @Test
    void reportReaderReadsTheJobReport() {
        Map<String, Object> r = ReportJson.object("{\"shape\": {\"sq\": 4}, \"kernel\": \"simd\\\"x\", \"wall_seconds\": 1.5,"
                + " \"task_seconds\": [1, 2.5e-1], \"ok\": true, \"none\": null, \"empty\": []}");
        assertEquals(1.5, r.get("wall_seconds"));
        assertEquals(List.of(1.0, 0.25), r.get("task_seconds"));
        assertEquals("simd\"x", r.get("kernel"));
        assertEquals(Map.of("sq", 4.0), r.get("shape"));
        assertThrows(IllegalArgumentException.class, () -> ReportJson.object("{\"a\": 1,}"));
        assertThrows(IllegalArgumentException.class, () -> ReportJson.object("[1] x"));
    }

    @Test
    void userMistakesNameTheirFlag() {
        assertEquals(List.of(1, 2, 16), ScaleRequest.parseExecutors("16, 2,1,2"));
        assertEquals("--executors", assertThrows(UserError.class, () -> ScaleRequest.parseExecutors("1,x")).subject());
        assertEquals("--executors", assertThrows(UserError.class, () -> ScaleRequest.parseExecutors("0,2")).subject());
        assertEquals("--mode", assertThrows(UserError.class, () -> ScaleMode.parse("medium")).subject());
        UserError perPoint = assertThrows(UserError.class, () -> request(ScaleMode.STRONG, CAUSAL, Map.of("spark.cores.max", "4")));
        assertTrue(perPoint.getMessage().contains("spark.cores.max is set per point"), perPoint.getMessage());
        assertEquals("--master", assertThrows(UserError.class, () -> new ScaleRequest(ScaleMode.STRONG, List.of(1), 1,
                new ScaleRequest.Shape(64, 64, 1, 1, 8, 8), CAUSAL, 1, "local[4]", Path.of("x"), Map.of(), List.of(), true)).subject());
        assertEquals(3072, PointRunner.mebibytes("k", "3072"));
        assertEquals(3072, PointRunner.mebibytes("k", "3g"));
    }
}
