package io.longattn.kernels;

import io.longattn.kernels.simd.SimdKernel;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The exact merge of partial summaries (split-KV) and the summary's wire form. */
class SoftmaxStateTest {

    /** Summary of keys [from, to) for the query chunk [q0, q0+tokens) of group g, copied out of the runner. */
    static SoftmaxState summary(AttentionSpec spec, Oracle.Inputs in, AttentionKernel kernel, int q0, int tokens,
                                int g, int kvBlock, int from, int to) {
        UnitRunner runner = new UnitRunner(spec, kernel, tokens, kvBlock);
        int hg = spec.groupSize();
        runner.query().load(q0, tokens, in.q(), q0 * spec.hq() * spec.d(), spec.hq(), g * hg, spec.queryFactor());
        UnitSummary s = runner.summarize(g, LocalAttention.arrays(spec, in.k(), in.v()), from, to);
        return SoftmaxState.fromArray(s.toArray(), s.rows(), s.dv());
    }

    static void assertClose(float[] expected, float[] actual, double tol, String what) {
        assertEquals(expected.length, actual.length);
        for (int i = 0; i < expected.length; i++) {
            if (expected[i] == Float.NEGATIVE_INFINITY) {
                assertEquals(expected[i], actual[i], what + " [" + i + "]");
            } else {
                assertTrue(Math.abs(expected[i] - actual[i]) <= tol,
                        what + " [" + i + "]: " + actual[i] + ", expected " + expected[i] + " within " + tol);
            }
        }
    }

    @Test
    void mergeOfDisjointKeyRangesEqualsTheUnsplitSummary() {
        AttentionSpec[] specs = {
                AttentionSpec.of(24, 100, 4, 2, 32, 48),
                AttentionSpec.of(24, 100, 2, 1, 64, 64).withCausal(true),
                AttentionSpec.of(30, 64, 1, 1, 32, 32).withWindow(10, 3),
        };
        for (AttentionSpec spec : specs) {
            Oracle.Inputs in = Oracle.random(spec, 11, 1.5);
            for (AttentionKernel kernel : new AttentionKernel[]{new ScalarKernel(spec), new SimdKernel(spec)}) {
                int kvBlock = 16, chunk = 10, g = spec.hkv() - 1;
                for (int q0 = 0; q0 < spec.sq(); q0 += chunk) {
                    int tokens = Math.min(chunk, spec.sq() - q0);
                    SoftmaxState whole = summary(spec, in, kernel, q0, tokens, g, kvBlock, 0, spec.sk());
                    int rows = whole.rows(), dv = whole.dv();
                    float[] o1 = new float[rows * dv], l1 = new float[rows];
                    whole.finish(rows, o1, 0, l1, 0);
                    for (int x = 0; x <= spec.sk(); x += kvBlock) {
                        SoftmaxState a = summary(spec, in, kernel, q0, tokens, g, kvBlock, 0, x);
                        SoftmaxState b = summary(spec, in, kernel, q0, tokens, g, kvBlock, x, spec.sk());
                        a.merge(b);
                        float[] o2 = new float[rows * dv], l2 = new float[rows];
                        a.finish(rows, o2, 0, l2, 0);
                        String what = kernel.name() + " " + spec.describe() + " q0=" + q0 + " split at " + x;
                        assertClose(o1, o2, 1e-5 * 6, what + " O"); // |V| <= ~6 for these inputs
                        assertClose(l1, l2, 1e-5 * 20, what + " LSE");
                    }
                }
            }
        }
    }

    @Test
    void mergeWithAnEmptySummaryIsIdentity() {
        AttentionSpec spec = AttentionSpec.of(16, 40, 2, 2, 32, 32).withCausal(true);
        Oracle.Inputs in = Oracle.random(spec, 3, 1);
        SoftmaxState s = summary(spec, in, new SimdKernel(spec), 0, 16, 1, 8, 0, 40);
        float[] before = s.toArray();
        s.merge(new SoftmaxState(s.rows(), s.dv()));
        assertArrayEquals(before, s.toArray());
        SoftmaxState empty = new SoftmaxState(s.rows(), s.dv());
        empty.merge(s);
        assertArrayEquals(before, empty.toArray());
        // the causal chunk's first rows see 1.. keys, so max holds finite values and none is -inf here
        for (float m : s.max) assertTrue(Float.isFinite(m));
    }

    @Test
    void mergeKeepsFullyMaskedRowsEmpty() {
        SoftmaxState a = new SoftmaxState(2, 3), b = new SoftmaxState(2, 3);
        b.max[1] = 1f;
        b.sum[1] = 2f;
        b.acc[3] = 4f;
        a.merge(b);
        float[] o = new float[6], lse = new float[2];
        a.finish(2, o, 0, lse, 0);
        assertEquals(Float.NEGATIVE_INFINITY, lse[0]);
        assertArrayEquals(new float[]{0, 0, 0, 2, 0, 0}, o);
        assertEquals((1 + 1) * AttentionSpec.LN_2, lse[1], 1e-6); // (m + log2 l) ln 2
    }

    @Test
    void arrayRoundTrip() {
        SoftmaxState s = new SoftmaxState(3, 5);
        for (int r = 0; r < 3; r++) {
            s.max[r] = r == 1 ? Float.NEGATIVE_INFINITY : r * 1.5f - 7;
            s.sum[r] = r * 0.25f;
        }
        for (int i = 0; i < s.acc.length; i++) s.acc[i] = (float) Math.sin(i);
        float[] a = s.toArray();
        assertEquals(3 * (5 + 2), a.length);
        SoftmaxState t = SoftmaxState.fromArray(a, 3, 5);
        assertArrayEquals(s.max, t.max);
        assertArrayEquals(s.sum, t.sum);
        assertArrayEquals(s.acc, t.acc);
        assertArrayEquals(a, t.toArray());
        assertThrows(IllegalArgumentException.class, () -> SoftmaxState.fromArray(a, 3, 4));
        assertThrows(IllegalArgumentException.class, () -> s.merge(new SoftmaxState(3, 4)));
    }
}
