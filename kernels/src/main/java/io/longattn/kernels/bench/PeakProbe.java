package io.longattn.kernels.bench;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.util.Arrays;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The FMA peak of this JVM on this machine: 12 independent FloatVector accumulators in local
 * variables, a = a * x + y, enough to cover FMA latency x FMA ports (4 x 2 on Zen, 4 x 2 on recent
 * Intel) while fitting in 16 vector registers with x and y. Counted as 2 FLOPs per lane per FMA.
 * With threads > 1 every thread runs the loop at once and the FLOPs of all are divided by the wall time.
 */
public final class PeakProbe {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int ACCUMULATORS = 12;
    private static volatile float sink;

    private PeakProbe() {
    }

    /** Median of 5 probes of about 0.2 s each, after a JIT warm-up; GFLOP/s over all threads. */
    public static double gflops(int threads) {
        double[] g = samples(threads, 5, 0.2);
        Arrays.sort(g);
        return g[g.length / 2];
    }

    /** count probes of about seconds each (after a JIT warm-up), GFLOP/s over all threads. */
    public static double[] samples(int threads, int count, double seconds) {
        for (int i = 0; i < 3; i++) once(threads, 2_000);
        long t0 = System.nanoTime();
        once(threads, 20_000);
        double s = Math.max(1e-6, (System.nanoTime() - t0) / 1e9);
        int outer = (int) Math.max(1_000, Math.min(1_000_000_000L, (long) (20_000 * seconds / s)));
        double[] g = new double[count];
        for (int i = 0; i < count; i++) g[i] = once(threads, outer);
        return g;
    }

    private static double once(int threads, int outer) {
        long t0 = System.nanoTime();
        if (threads == 1) {
            sink += loop(outer, 1f);
        } else {
            Thread[] ts = new Thread[threads - 1];
            AtomicReference<Throwable> err = new AtomicReference<>();
            for (int t = 0; t < ts.length; t++) {
                final float seed = t + 2;
                ts[t] = new Thread(() -> {
                    try {
                        sink += loop(outer, seed);
                    } catch (Throwable e) {
                        err.set(e);
                    }
                });
                ts[t].start();
            }
            sink += loop(outer, 1f);
            for (Thread t : ts) {
                try {
                    t.join();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException(e);
                }
            }
            if (err.get() != null) throw new IllegalStateException(err.get());
        }
        double secs = (System.nanoTime() - t0) / 1e9;
        double flops = 2.0 * S.length() * ACCUMULATORS * 100.0 * outer * threads;
        return flops / secs / 1e9;
    }

    /** outer x 100 steps of 12 independent FMAs; returns a value that depends on all of them. */
    static float loop(int outer, float seed) {
        final FloatVector x = FloatVector.broadcast(S, 0.999f);
        final FloatVector y = FloatVector.broadcast(S, 0.001f);
        FloatVector a0 = FloatVector.broadcast(S, seed), a1 = FloatVector.broadcast(S, seed + 0.1f);
        FloatVector a2 = FloatVector.broadcast(S, seed + 0.2f), a3 = FloatVector.broadcast(S, seed + 0.3f);
        FloatVector a4 = FloatVector.broadcast(S, seed + 0.4f), a5 = FloatVector.broadcast(S, seed + 0.5f);
        FloatVector a6 = FloatVector.broadcast(S, seed + 0.6f), a7 = FloatVector.broadcast(S, seed + 0.7f);
        FloatVector a8 = FloatVector.broadcast(S, seed + 0.8f), a9 = FloatVector.broadcast(S, seed + 0.9f);
        FloatVector a10 = FloatVector.broadcast(S, seed + 1.0f), a11 = FloatVector.broadcast(S, seed + 1.1f);
        for (int o = 0; o < outer; o++) {
            for (int i = 0; i < 100; i++) {
                a0 = a0.fma(x, y);
                a1 = a1.fma(x, y);
                a2 = a2.fma(x, y);
                a3 = a3.fma(x, y);
                a4 = a4.fma(x, y);
                a5 = a5.fma(x, y);
                a6 = a6.fma(x, y);
                a7 = a7.fma(x, y);
                a8 = a8.fma(x, y);
                a9 = a9.fma(x, y);
                a10 = a10.fma(x, y);
                a11 = a11.fma(x, y);
            }
        }
        FloatVector s = a0.add(a1).add(a2).add(a3).add(a4).add(a5).add(a6).add(a7).add(a8).add(a9).add(a10).add(a11);
        return s.reduceLanes(VectorOperators.ADD);
    }
}
