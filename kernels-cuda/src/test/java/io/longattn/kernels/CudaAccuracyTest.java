package io.longattn.kernels;

import io.longattn.kernels.cuda.CudaAttention;
import io.longattn.kernels.cuda.CudaKernel;
import io.longattn.kernels.cuda.CudaProbe;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The CUDA kernel against the float64 reference on the CPU kernels' case list, through both of its
 * paths (whole units against resident K/V, and the block-at-a-time path), plus its determinism. Runs
 * where a GPU is usable; elsewhere every test is skipped with the probe's reason.
 */
class CudaAccuracyTest {

    @BeforeAll
    static void gpu() {
        CudaProbe p = CudaProbe.get();
        assumeTrue(p.usable(), () -> "no usable GPU: " + p.unavailableReason());
    }

    static List<KernelAccuracyTest.Case> cases() {
        return KernelAccuracyTest.cases();
    }

    /** The job's unit path: each (query chunk, kv group) is one launch over keys [0, sk). */
    static LocalAttention.Result units(AttentionSpec spec, Oracle.Inputs in, int queryChunk) {
        return units(spec, in, queryChunk, true);
    }

    /** {@link #units}, on the mma.sync tensor-core kernels even on a Hopper when {@code wgmma} is false. */
    static LocalAttention.Result units(AttentionSpec spec, Oracle.Inputs in, int queryChunk, boolean wgmma) {
        int sq = spec.sq(), hq = spec.hq(), hg = spec.groupSize(), dv = spec.dv();
        float[] o = new float[sq * hq * dv];
        float[] lse = new float[sq * hq];
        Arrays.fill(o, Float.NaN); // poison: every element must be written
        Arrays.fill(lse, Float.NaN);
        KvSource source = LocalAttention.arrays(spec, in.k(), in.v());
        QueryChunk chunk = new QueryChunk(queryChunk, hg, spec.d());
        float[] chunkOut = new float[queryChunk * hg * dv];
        float[] chunkLse = new float[queryChunk * hg];
        try (CudaAttention gpu = wgmma ? new CudaAttention(spec, 0) : CudaAttention.withoutWgmma(spec, 0)) {
            for (int q0 = 0; q0 < sq; q0 += queryChunk) {
                int tokens = Math.min(queryChunk, sq - q0);
                for (int g = 0; g < spec.hkv(); g++) {
                    chunk.load(q0, tokens, in.q(), q0 * hq * spec.d(), hq, g * hg, spec.queryFactor());
                    gpu.run(chunk, g, source, 0, spec.sk(), chunkOut, 0, chunkLse, 0);
                    LocalAttention.scatter(spec, g, q0, tokens, chunkOut, chunkLse, o, lse);
                }
            }
        }
        return new LocalAttention.Result(o, lse);
    }

    @ParameterizedTest(name = "units {0}")
    @MethodSource("cases")
    void unitsMatchFloat64Reference(KernelAccuracyTest.Case c) {
        Oracle.Inputs in = Oracle.random(c.spec(), c.name().hashCode(), c.qkStd());
        Oracle.Report rep = Oracle.check("cuda units " + c, in, units(c.spec(), in, c.qChunk()));
        Oracle.assertMaskedRowCount(c.spec(), rep);
    }

    /** The job's path: UnitRunner hands whole units to CudaKernel.runUnit; O and LSE come off the GPU. */
    @ParameterizedTest(name = "runUnit {0}")
    @MethodSource("cases")
    void kernelUnitsMatchFloat64Reference(KernelAccuracyTest.Case c) {
        Oracle.Inputs in = Oracle.random(c.spec(), c.name().hashCode(), c.qkStd());
        try (AttentionKernel k = new CudaKernel(c.spec(), 0)) {
            LocalAttention.Result r = LocalAttention.compute(c.spec(), in.q(), in.k(), in.v(), k, c.qChunk(), c.kvChunk());
            Oracle.assertMaskedRowCount(c.spec(), Oracle.check("cuda runUnit " + c, in, r));
        }
    }

    /** The block-at-a-time path (accumulate with the summary round-tripping through the host). */
    @ParameterizedTest(name = "blocks {0}")
    @MethodSource("cases")
    void blocksMatchFloat64Reference(KernelAccuracyTest.Case c) {
        Oracle.Inputs in = Oracle.random(c.spec(), c.name().hashCode(), c.qkStd());
        try (CudaKernel cuda = new CudaKernel(c.spec(), 0)) {
            AttentionKernel blocksOnly = new AttentionKernel() { // the default runUnit: UnitRunner's block loop
                @Override
                public String name() {
                    return "cuda-blocks";
                }

                @Override
                public void accumulate(QueryChunk q, KvBlock kv, SoftmaxState state) {
                    cuda.accumulate(q, kv, state);
                }
            };
            LocalAttention.Result r = LocalAttention.compute(c.spec(), in.q(), in.k(), in.v(), blocksOnly, c.qChunk(), c.kvChunk());
            Oracle.assertMaskedRowCount(c.spec(), Oracle.check("cuda blocks " + c, in, r));
        }
    }

    @Test
    void deviceSummariesOfKeyRangesMergeExactly() {
        AttentionSpec spec = AttentionSpec.of(200, 1500, 4, 2, 64, 48).withCausal(true).withWindow(900, -1);
        Oracle.Inputs in = Oracle.random(spec, 9, 1);
        int hq = spec.hq(), hg = spec.groupSize(), dv = spec.dv();
        float[] o = new float[spec.sq() * hq * dv], lse = new float[spec.sq() * hq];
        KvSource source = LocalAttention.arrays(spec, in.k(), in.v());
        try (CudaKernel cuda = new CudaKernel(spec, 0)) {
            UnitRunner runner = new UnitRunner(spec, cuda, spec.sq(), 512);
            for (int g = 0; g < spec.hkv(); g++) {
                runner.query().load(0, spec.sq(), in.q(), 0, hq, g * hg, spec.queryFactor());
                SoftmaxState merged = new SoftmaxState(runner.query().rows(), dv);
                for (int from = 0; from < spec.sk(); from += 512) {
                    merged.merge(runner.summarize(g, source, from, Math.min(spec.sk(), from + 512)));
                }
                float[] co = new float[runner.query().rows() * dv], cl = new float[runner.query().rows()];
                merged.finish(runner.query().rows(), co, 0, cl, 0);
                LocalAttention.scatter(spec, g, 0, spec.sq(), co, cl, o, lse);
            }
        }
        Oracle.check("cuda device summaries", in, new LocalAttention.Result(o, lse));
    }

    @Test
    void bitsDoNotDependOnHowQueriesAreChunked() {
        AttentionSpec spec = AttentionSpec.of(1000, 1300, 8, 2, 64, 64).withCausal(true).withWindow(700, -1);
        Oracle.Inputs in = Oracle.random(spec, 11, 1);
        LocalAttention.Result a = units(spec, in, 1000), b = units(spec, in, 37), c = units(spec, in, 128);
        Oracle.check("cuda", in, a);
        assertArrayEquals(a.o(), b.o());
        assertArrayEquals(a.lse(), b.lse());
        assertArrayEquals(a.o(), c.o());
        assertArrayEquals(a.lse(), c.lse());
        // and the same call twice gives the same bits (no atomics, fixed reduction order)
        assertArrayEquals(a.o(), units(spec, in, 1000).o());
    }

    /**
     * K/V that do not fit stream through the GPU in chunks, the summary staying there: right against
     * float64, and the resident path's bits when that path does not split keys inside the launch (a
     * spec with query tiles enough for the GPU; with in-launch splits the two differ by rounding).
     */
    @Test
    void streamedKeysGiveTheResidentBits() {
        AttentionSpec spec = AttentionSpec.of(4096, 1500, 8, 2, 64, 64).withCausal(true);
        assertEquals(0, CudaAttention.splitKeysOf(spec), "the premise: no in-launch split for this spec");
        Oracle.Inputs in = Oracle.random(spec, 21, 1);
        LocalAttention.Result resident = units(spec, in, 1024);
        int hq = spec.hq(), hg = spec.groupSize(), dv = spec.dv(), qc = 1024;
        float[] o = new float[spec.sq() * hq * dv], lse = new float[spec.sq() * hq];
        KvSource source = LocalAttention.arrays(spec, in.k(), in.v());
        QueryChunk chunk = new QueryChunk(qc, hg, spec.d());
        float[] co = new float[qc * hg * dv], cl = new float[qc * hg];
        try (CudaAttention gpu = CudaAttention.streaming(spec, 0, 640)) {
            for (int q0 = 0; q0 < spec.sq(); q0 += qc) {
                int tokens = Math.min(qc, spec.sq() - q0);
                for (int g = 0; g < spec.hkv(); g++) {
                    chunk.load(q0, tokens, in.q(), q0 * hq * spec.d(), hq, g * hg, spec.queryFactor());
                    gpu.run(chunk, g, source, 0, spec.sk(), co, 0, cl, 0);
                    LocalAttention.scatter(spec, g, q0, tokens, co, cl, o, lse);
                }
            }
        }
        LocalAttention.Result streamed = new LocalAttention.Result(o, lse);
        Oracle.check("cuda streamed", in, streamed);
        assertArrayEquals(resident.o(), streamed.o());
        assertArrayEquals(resident.lse(), streamed.lse());
    }

    @Test
    void decodeShapesSplitKeysInsideTheLaunch() {
        AttentionSpec spec = AttentionSpec.of(2, 40_000, 2, 1, 64, 64);
        assertTrue(CudaAttention.splitKeysOf(spec) > 0);
        Oracle.Inputs in = Oracle.random(spec, 5, 1);
        LocalAttention.Result a = units(spec, in, 2), b = units(spec, in, 1);
        Oracle.check("cuda decode", in, a);
        assertArrayEquals(a.o(), b.o());
    }

    @Test
    void splitSummariesMergeExactlyOnTheHost() {
        AttentionSpec spec = AttentionSpec.of(300, 2000, 2, 2, 64, 64).withCausal(true);
        Oracle.Inputs in = Oracle.random(spec, 3, 1);
        int hq = spec.hq(), hg = spec.groupSize(), dv = spec.dv(), cut = 1024;
        float[] o = new float[spec.sq() * hq * dv], lse = new float[spec.sq() * hq];
        KvSource source = LocalAttention.arrays(spec, in.k(), in.v());
        QueryChunk chunk = new QueryChunk(spec.sq(), hg, spec.d());
        try (CudaAttention gpu = new CudaAttention(spec, 0)) {
            for (int g = 0; g < spec.hkv(); g++) {
                chunk.load(0, spec.sq(), in.q(), 0, hq, g * hg, spec.queryFactor());
                SoftmaxState left = new SoftmaxState(chunk.rows(), dv), right = new SoftmaxState(chunk.rows(), dv);
                gpu.summarize(chunk, g, source, 0, cut, left);
                gpu.summarize(chunk, g, source, cut, spec.sk(), right);
                left.merge(right);
                float[] co = new float[chunk.rows() * dv], cl = new float[chunk.rows()];
                left.finish(chunk.rows(), co, 0, cl, 0);
                LocalAttention.scatter(spec, g, 0, spec.sq(), co, cl, o, lse);
            }
        }
        Oracle.check("cuda split summaries", in, new LocalAttention.Result(o, lse));
    }

    @Test
    void fullyMaskedRowsGiveZeroAndMinusInfinity() {
        AttentionSpec spec = AttentionSpec.of(20, 8, 1, 1, 32, 32).withCausal(true);
        Oracle.Inputs in = Oracle.random(spec, 1, 1);
        LocalAttention.Result r = units(spec, in, 3);
        for (int i = 0; i < 12; i++) {
            assertEquals(Float.NEGATIVE_INFINITY, r.lse()[i], "row " + i);
            for (int c = 0; c < 32; c++) assertEquals(0f, r.o()[i * 32 + c], "row " + i);
        }
        assertTrue(Float.isFinite(r.lse()[12]));
    }
}
