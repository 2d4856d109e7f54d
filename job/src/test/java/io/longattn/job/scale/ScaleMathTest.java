package io.longattn.job.scale;

import io.longattn.job.JobRequest;
import io.longattn.job.UserError;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Sizes, efficiency, the CSV and the report reader, without a cluster. */
class ScaleMathTest {
    static ScaleRequest request(ScaleMode mode, JobRequest.Attention a, Map<String, String> conf) {
        return new ScaleRequest(mode, List.of(1, 2, 4), 1, new ScaleRequest.Shape(4096, 4096, 2, 2, 64, 64), a, 1, null,
                Path.of("x"), conf, List.of());
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
                new ScaleRequest.Shape(64, 64, 1, 1, 8, 8), CAUSAL, 1, "local[4]", Path.of("x"), Map.of(), List.of())).subject());
        assertEquals(3072, PointRunner.mebibytes("k", "3072"));
        assertEquals(3072, PointRunner.mebibytes("k", "3g"));
    }
}
