package io.longattn.kernels.bench;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The benchmark engine on tiny shapes (fast; no figure is asserted beyond being positive and finite). */
class KernelBenchTest {

    static KernelBench.Options tiny() {
        KernelBench.Options o = new KernelBench.Options();
        o.seq = 96;
        o.kvSeq = 130;
        o.heads = 4;
        o.kvHeads = 2;
        o.dim = 32;
        o.causal = true;
        o.warmup = 1;
        o.minWarmupSeconds = 0;
        o.reps = 2;
        o.qChunk = 32;
        o.kvChunk = 64;
        o.skipPeak = true;
        return o;
    }

    @Test
    void runsEveryKernelAndWritesTheDocumentedJson() {
        KernelBench.Options o = tiny();
        o.kernels = List.of("all");
        o.threads = 2;
        List<KernelBench.Result> rs = KernelBench.run(o);
        assertEquals(List.of("simd", "scalar"), rs.stream().map(KernelBench.Result::kernel).toList());
        for (KernelBench.Result r : rs) {
            assertTrue(r.seconds() > 0 && Double.isFinite(r.gflops()) && r.gflops() > 0, r.toString());
            assertEquals(2, r.threads());
            String json = r.toJson();
            assertTrue(json.startsWith("{") && json.endsWith("}") && !json.contains("\n"), json);
            Matcher m = Pattern.compile("\"([a-z_]+)\":").matcher(json);
            StringBuilder keys = new StringBuilder();
            while (m.find()) keys.append(m.group(1)).append(',');
            assertEquals("kernel,seq,kv_seq,heads,kv_heads,dim,causal,threads,seconds,gflops,peak_gflops,ratio,",
                    keys.toString());
            assertTrue(json.contains("\"kv_seq\":130") && json.contains("\"causal\":true")
                    && json.contains("\"peak_gflops\":null"), json);
        }
        String table = KernelBench.table(rs);
        assertTrue(table.contains("GFLOP/s") && table.contains("simd") && table.contains("scalar"), table);
    }

    @Test
    void peakProbeAndRatio() {
        KernelBench.Options o = tiny();
        o.skipPeak = false;
        o.interleavePeak = false;
        o.reps = 1;
        KernelBench.Result r = KernelBench.run(o).get(0);
        assertTrue(r.peakGflops() > 0 && Double.isFinite(r.peakGflops()), r.toString());
        assertEquals(r.gflops() / r.peakGflops(), r.ratio(), 1e-12);
    }

    @Test
    void slowKernelsAreTimedOnASample() {
        KernelBench.Options o = tiny();
        o.kernels = List.of("scalar");
        o.seq = 512;
        o.kvSeq = 512;
        o.maxRepSeconds = 1e-6; // forces sampling down to one chunk
        KernelBench.Result r = KernelBench.run(o).get(0);
        assertTrue(r.sampledFraction() < 1, "sampled " + r.sampledFraction());
        assertTrue(KernelBench.table(List.of(r)).contains("timed on"));
    }

    @Test
    void unknownKernelIsRefused() {
        KernelBench.Options o = tiny();
        o.kernels = List.of("fastest");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> KernelBench.run(o));
        assertTrue(e.getMessage().contains("fastest"), e.getMessage());
    }

    @Test
    void simdOnItsOwnThreadsGetsQueryChunksWithRowsForEachThread() {
        KernelBench.Options o = new KernelBench.Options();
        assertEquals(512, o.queryChunk("simd", 1));
        assertEquals(512, o.queryChunk("simd", 2));
        assertEquals(16 * io.longattn.kernels.simd.SimdProvider.QUERY_ROWS_PER_THREAD, o.queryChunk("simd", 16));
        assertEquals(512, o.queryChunk("scalar", 16)); // parallel units: one thread per chunk
        o.heads = 8;
        o.kvHeads = 2; // 4 rows per token
        assertEquals(16 * io.longattn.kernels.simd.SimdProvider.QUERY_ROWS_PER_THREAD / 4, o.queryChunk("simd", 16));
        o.parallelUnits = true;
        assertEquals(512, o.queryChunk("simd", 16));
        o.qChunk = 96;
        assertEquals(96, o.queryChunk("simd", 1));
    }

    @Test
    void parallelUnitsTakeCausalChunksCostliestFirst() {
        io.longattn.kernels.AttentionSpec causal = new io.longattn.kernels.AttentionSpec(950, 950, 1, 1, 64, 64,
                0.125f, true, -1, 0, 0f);
        // the last chunk (rows 900-949) is short: between chunks 5 and 4
        assertArrayEquals(new int[]{8, 7, 6, 5, 9, 4, 3, 2, 1, 0},
                KernelBench.costliestFirst(causal, 100, new int[]{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}));
        io.longattn.kernels.AttentionSpec full = new io.longattn.kernels.AttentionSpec(1000, 1000, 1, 1, 64, 64,
                0.125f, false, -1, -1, 0f);
        // equal costs keep their order
        assertArrayEquals(new int[]{3, 1, 2}, KernelBench.costliestFirst(full, 100, new int[]{3, 1, 2}));
    }

    @Test
    void warmUpLastsAtLeastTheMinimumTime() {
        KernelBench.Options o = tiny();
        o.kernels = List.of("scalar");
        o.minWarmupSeconds = 0.5; // a tiny repetition takes milliseconds: the floor makes the warm-up
        long t0 = System.nanoTime();
        KernelBench.run(o);
        assertTrue((System.nanoTime() - t0) / 1e9 >= 0.5);
    }
}
