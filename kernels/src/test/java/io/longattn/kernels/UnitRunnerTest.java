package io.longattn.kernels;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The whole-unit seam of {@link AttentionKernel}: its default path, a kernel that takes it over, batches. */
class UnitRunnerTest {
    static final AttentionSpec SPEC = AttentionSpec.of(40, 70, 4, 2, 32, 24).withCausal(true);

    /** A summary that is not a SoftmaxState: what a device kernel hands back (here a copy of the host's). */
    record CopiedSummary(int rows, int dv, float[] flat) implements UnitSummary {
        @Override
        public float max(int r) {
            return flat[r];
        }

        @Override
        public float sum(int r) {
            return flat[rows + r];
        }

        @Override
        public float acc(int r, int c) {
            return flat[2 * rows + r * dv + c];
        }

        @Override
        public void finish(int rowCount, float[] out, int outOffset, float[] lse, int lseOffset) {
            SoftmaxState.fromArray(flat, rows, dv).finish(rowCount, out, outOffset, lse, lseOffset);
        }
    }

    /** Runs whole units itself (through the default path, then copies), as a device kernel would. */
    static final class WholeUnitKernel implements AttentionKernel {
        final ScalarKernel inner = new ScalarKernel(SPEC);
        int units;
        int batches;

        @Override
        public String name() {
            return "whole-unit";
        }

        @Override
        public void accumulate(QueryChunk q, KvBlock kv, SoftmaxState state) {
            inner.accumulate(q, kv, state);
        }

        @Override
        public UnitSummary runUnit(UnitInput unit, KvSource source, UnitRunner host) {
            units++;
            UnitSummary s = AttentionKernel.super.runUnit(unit, source, host);
            return new CopiedSummary(s.rows(), s.dv(), s.toArray());
        }

        @Override
        public void runUnits(List<UnitInput> units, KvSource source, UnitRunner host, UnitSink sink) {
            batches++;
            AttentionKernel.super.runUnits(units, source, host, sink);
        }
    }

    @Test
    void aKernelThatRunsWholeUnitsGivesTheSameBits() {
        Oracle.Inputs in = Oracle.random(SPEC, 5, 1);
        LocalAttention.Result host = LocalAttention.compute(SPEC, in.q(), in.k(), in.v(), new ScalarKernel(SPEC), 16, 16);
        WholeUnitKernel k = new WholeUnitKernel();
        LocalAttention.Result whole = LocalAttention.compute(SPEC, in.q(), in.k(), in.v(), k, 16, 16);
        assertEquals(3 * SPEC.hkv(), k.units);
        assertArrayEquals(host.o(), whole.o());
        assertArrayEquals(host.lse(), whole.lse());
    }

    @Test
    void aBatchGivesEachUnitsSummaryOnce() {
        Oracle.Inputs in = Oracle.random(SPEC, 6, 1);
        LocalAttention.Result one = LocalAttention.compute(SPEC, in.q(), in.k(), in.v(), new ScalarKernel(SPEC), 16, 16);
        WholeUnitKernel k = new WholeUnitKernel();
        UnitRunner runner = new UnitRunner(SPEC, k, 16, 16);
        KvSource source = LocalAttention.arrays(SPEC, in.k(), in.v());
        int hq = SPEC.hq(), hg = SPEC.groupSize(), dv = SPEC.dv();
        List<UnitInput> units = new ArrayList<>();
        for (int q0 = 0; q0 < SPEC.sq(); q0 += 16) {
            for (int g = 0; g < SPEC.hkv(); g++) {
                int tokens = Math.min(16, SPEC.sq() - q0);
                QueryChunk q = new QueryChunk(16, hg, SPEC.d());
                q.load(q0, tokens, in.q(), q0 * hq * SPEC.d(), hq, g * hg, SPEC.queryFactor());
                units.add(new UnitInput(q, g, 0, SPEC.sk()));
            }
        }
        float[] o = new float[SPEC.sq() * hq * dv];
        float[] lse = new float[SPEC.sq() * hq];
        int[] seen = new int[units.size()];
        float[] chunkO = new float[16 * hg * dv];
        float[] chunkLse = new float[16 * hg];
        runner.runBatch(units, source, (i, s) -> {
            seen[i]++;
            UnitInput u = units.get(i);
            s.finish(u.query().rows(), chunkO, 0, chunkLse, 0);
            LocalAttention.scatter(SPEC, u.group(), u.query().q0(), u.query().tokens(), chunkO, chunkLse, o, lse);
        });
        assertEquals(1, k.batches);
        assertEquals(units.size(), k.units);
        assertTrue(Arrays.stream(seen).allMatch(n -> n == 1), Arrays.toString(seen));
        assertArrayEquals(one.o(), o);
        assertArrayEquals(one.lse(), lse);
    }

    @Test
    void splitKvMergesSummariesOfAnyKind() {
        Oracle.Inputs in = Oracle.random(SPEC, 7, 1);
        UnitRunner host = new UnitRunner(SPEC, new ScalarKernel(SPEC), 16, 16);
        UnitRunner whole = new UnitRunner(SPEC, new WholeUnitKernel(), 16, 16);
        KvSource source = LocalAttention.arrays(SPEC, in.k(), in.v());
        for (UnitRunner r : new UnitRunner[]{host, whole}) {
            r.query().load(16, 16, in.q(), 16 * SPEC.hq() * SPEC.d(), SPEC.hq(), 2, SPEC.queryFactor());
        }
        SoftmaxState a = SoftmaxState.fromArray(host.summarize(1, source, 0, 32).toArray(), 32, SPEC.dv());
        a.merge(host.summarize(1, source, 32, SPEC.sk()));
        SoftmaxState b = SoftmaxState.fromArray(whole.summarize(1, source, 0, 32).toArray(), 32, SPEC.dv());
        UnitSummary second = whole.summarize(1, source, 32, SPEC.sk());
        assertTrue(second instanceof CopiedSummary);
        b.merge(second);
        assertArrayEquals(a.toArray(), b.toArray());
    }
}
