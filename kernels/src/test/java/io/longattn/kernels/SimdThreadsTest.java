package io.longattn.kernels;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The SIMD kernel's own threads: same bits as one thread, clean shutdown, argument checks. */
class SimdThreadsTest {

    @Test
    void threadsGiveTheSameBitsAsOneThread() {
        // Row tiles are fixed by the chunk (multiples of 4 rows from row 0) and every row sees the
        // sub-blocks in the same order, so the split between threads cannot change a bit.
        AttentionSpec[] specs = {
                AttentionSpec.of(150, 333, 4, 2, 64, 48).withCausal(true),
                AttentionSpec.of(97, 200, 2, 2, 80, 80).withWindow(30, 5),
                AttentionSpec.of(64, 64, 1, 1, 32, 32).withSoftcap(20),
        };
        for (AttentionSpec spec : specs) {
            Oracle.Inputs in = Oracle.random(spec, 9, 1);
            LocalAttention.Result one;
            try (SimdKernel k = new SimdKernel(spec)) {
                one = LocalAttention.compute(spec, in.q(), in.k(), in.v(), k, 48, 128);
            }
            for (int threads : new int[]{2, 3}) {
                try (SimdKernel k = new SimdKernel(spec, threads)) {
                    assertEquals(threads, k.threads());
                    LocalAttention.Result many = LocalAttention.compute(spec, in.q(), in.k(), in.v(), k, 48, 128);
                    assertArrayEquals(one.o(), many.o(), spec.describe() + " threads=" + threads);
                    assertArrayEquals(one.lse(), many.lse(), spec.describe() + " threads=" + threads);
                }
            }
        }
    }

    @Test
    void closeStopsTheWorkers() throws InterruptedException {
        AttentionSpec spec = AttentionSpec.of(64, 64, 1, 1, 32, 32);
        SimdKernel k = new SimdKernel(spec, 3);
        Oracle.Inputs in = Oracle.random(spec, 2, 1);
        LocalAttention.compute(spec, in.q(), in.k(), in.v(), k, 32, 32);
        k.close();
        k.close(); // idempotent
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (k.workersAlive() && System.nanoTime() < deadline) Thread.sleep(10);
        assertTrue(!k.workersAlive(), "workers still alive");
        assertThrows(IllegalStateException.class,
                () -> LocalAttention.compute(spec, in.q(), in.k(), in.v(), k, 32, 32));
    }

    @Test
    void rejectsZeroThreads() {
        AttentionSpec spec = AttentionSpec.of(8, 8, 1, 1, 8, 8);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new SimdKernel(spec, 0));
        assertTrue(e.getMessage().contains("threads 0"), e.getMessage());
    }

    @Test
    void selectorCreatesThreadedKernels() {
        AttentionSpec spec = AttentionSpec.of(8, 8, 1, 1, 8, 8);
        try (AttentionKernel k = KernelSelector.create("auto", spec, 2)) {
            assertEquals(2, ((SimdKernel) k).threads());
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> KernelSelector.create("scalar", spec, 2));
        assertTrue(e.getMessage().contains("scalar"), e.getMessage());
    }

    @Test
    void exp2MatchesMathPowAndGivesZeroForMaskedScores() {
        float[] xs = new float[64];
        for (int i = 0; i < xs.length; i++) xs[i] = -i * 2.3f + 0.37f * (i % 3) - 0.1f;
        xs[0] = 0f;
        xs[1] = Float.NEGATIVE_INFINITY;
        xs[2] = -125.5f;
        xs[3] = -124.9f;
        xs[4] = -1e30f;
        int l = jdk.incubator.vector.FloatVector.SPECIES_PREFERRED.length();
        float[] out = new float[xs.length];
        for (int i = 0; i < xs.length; i += l) {
            SimdKernel.exp2(jdk.incubator.vector.FloatVector.fromArray(jdk.incubator.vector.FloatVector.SPECIES_PREFERRED, xs, i))
                    .intoArray(out, i);
        }
        for (int i = 0; i < xs.length; i++) {
            double want = xs[i] < -125 ? 0 : Math.pow(2, xs[i]);
            if (want == 0) {
                assertEquals(0f, out[i], "2^" + xs[i]);
            } else {
                assertEquals(want, out[i], 3e-7 * want, "2^" + xs[i]);
            }
        }
    }
}
