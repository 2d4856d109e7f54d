package io.longattn.kernels.simd;

import io.longattn.kernels.AttentionKernel;
import io.longattn.kernels.AttentionSpec;
import io.longattn.kernels.KernelSelectionException;
import io.longattn.kernels.KernelSelector;
import io.longattn.kernels.LocalAttention;
import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The SIMD kernel's own threads (every production tile): same bits as one thread, clean shutdown, checks. */
class SimdThreadsTest {

    static float[] random(long seed, int n) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) (r.nextDouble() * 2 - 1);
        return a;
    }

    static LocalAttention.Result compute(AttentionSpec spec, AttentionKernel k, int qc, int kc) {
        float[] q = random(1, spec.sq() * spec.hq() * spec.d());
        float[] kk = random(2, spec.sk() * spec.hkv() * spec.d());
        float[] v = random(3, spec.sk() * spec.hkv() * spec.dv());
        return LocalAttention.compute(spec, q, kk, v, k, qc, kc);
    }

    @ParameterizedTest
    @EnumSource(value = SimdTile.class, names = {"T4x2", "T6x4"})
    void threadsGiveTheSameBitsAsOneThread(SimdTile tile) {
        // Row tiles are fixed by the chunk (multiples of R rows from row 0) and every row sees the
        // sub-blocks in the same order, so the split between threads cannot change a bit.
        AttentionSpec[] specs = {
                AttentionSpec.of(150, 333, 4, 2, 64, 48).withCausal(true),
                AttentionSpec.of(97, 200, 2, 2, 80, 80).withWindow(30, 5),
                AttentionSpec.of(64, 64, 1, 1, 32, 32).withSoftcap(20),
        };
        for (AttentionSpec spec : specs) {
            LocalAttention.Result one;
            try (SimdKernel k = new SimdKernel(spec, 1, tile)) {
                assertEquals(tile, k.tile());
                one = compute(spec, k, 48, 128);
            }
            for (int threads : new int[]{2, 3}) {
                try (SimdKernel k = new SimdKernel(spec, threads, tile)) {
                    assertEquals(threads, k.threads());
                    LocalAttention.Result many = compute(spec, k, 48, 128);
                    assertArrayEquals(one.o(), many.o(), spec.describe() + " threads=" + threads);
                    assertArrayEquals(one.lse(), many.lse(), spec.describe() + " threads=" + threads);
                }
            }
        }
    }

    @Test
    void autoTileIsOneOfTheProductionTiles() {
        try (SimdKernel k = new SimdKernel(AttentionSpec.of(8, 8, 1, 1, 8, 8))) {
            assertEquals(SimdTile.AUTO.resolve(JvmFacts.current().registers32()), k.tile());
            assertTrue(k.tile() == SimdTile.T4x2 || k.tile() == SimdTile.T6x4, k.tile().label());
        }
        assertEquals(SimdTile.T6x4, SimdTile.AUTO.resolve(true));
        assertEquals(SimdTile.T4x2, SimdTile.AUTO.resolve(false));
        assertEquals(SimdTile.T4x2, SimdTile.T4x2.resolve(true));
    }

    @Test
    void closeStopsTheWorkers() throws InterruptedException {
        AttentionSpec spec = AttentionSpec.of(64, 64, 1, 1, 32, 32);
        SimdKernel k = new SimdKernel(spec, 3, SimdTile.AUTO);
        compute(spec, k, 32, 32);
        k.close();
        k.close(); // idempotent
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (k.workersAlive() && System.nanoTime() < deadline) Thread.sleep(10);
        assertFalse(k.workersAlive(), "workers still alive");
        assertThrows(IllegalStateException.class, () -> compute(spec, k, 32, 32));
    }

    @Test
    void rejectsZeroThreads() {
        AttentionSpec spec = AttentionSpec.of(8, 8, 1, 1, 8, 8);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new SimdKernel(spec, 0, SimdTile.AUTO));
        assertTrue(e.getMessage().contains("threads 0"), e.getMessage());
    }

    @Test
    void selectorCreatesThreadedKernelsAndRefusesThreadsWithoutThem() {
        AttentionSpec spec = AttentionSpec.of(8, 8, 1, 1, 8, 8);
        try (AttentionKernel k = KernelSelector.standard().create("simd:6x4", spec, 2)) {
            assertEquals(2, k.threads());
            assertEquals(SimdTile.T6x4, ((SimdKernel) k).tile());
        }
        KernelSelectionException e = assertThrows(KernelSelectionException.class,
                () -> KernelSelector.standard().create("scalar", spec, 2));
        assertEquals(KernelSelectionException.Problem.NO_THREADS, e.problem());
        assertEquals("scalar", e.requested());
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
        int l = VectorShape.L;
        float[] out = new float[xs.length];
        for (int i = 0; i < xs.length; i += l) {
            Exp2.exp2(FloatVector.fromArray(VectorShape.S, xs, i)).intoArray(out, i);
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
