package io.longattn.job.spark;

import io.longattn.job.plan.JobPlanner;
import io.longattn.kernels.AttentionKernel;
import io.longattn.kernels.AttentionSpec;
import io.longattn.kernels.KvSource;
import io.longattn.kernels.LocalAttention;
import io.longattn.kernels.UnitRunner;

import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BooleanSupplier;
import java.util.function.Function;

/**
 * Runs a task's kernel on a small problem with the job's options (heads, dims, mask, soft cap) before the
 * first real unit, once per executor JVM and configuration. A fresh JVM runs the Vector API code boxed
 * (interpreter, then C1) until C2 compiles it, and C2 code compiled from profiles that have not yet seen
 * the mask edges and ragged tails is thrown away again (deoptimized) when a real unit reaches them. A
 * problem of a few dozen rows and a few hundred keys takes each of those paths in well under a
 * millisecond once compiled, so the JIT gets its full profile cheaply instead of from the job's units.
 */
public final class KernelWarmUp {
    private static final Set<String> WARMED = ConcurrentHashMap.newKeySet();

    private KernelWarmUp() {
    }

    /**
     * On a local master, where the driver is the executor: warms the job's kernel on the driver while Spark
     * starts on another thread, until {@code sparkStarted} says it has (what is left of the warm-up is then
     * no cheaper than the job's own first units) or {@code maxSeconds} have passed. A GPU kernel has no JIT
     * to warm. Small jobs are warmed too: with the kernels compiled after a twentieth of the usual counts (the
     * project's JVM flags), a 2,048-token causal job on 2 cores took 4.4-4.8 s of command wall with the warm-up
     * and 5.2-5.7 s without (its Spark start grows by ~0.8 s, its compute shrinks by ~1.2 s). Returns the
     * seconds spent.
     */
    public static double whileSparkStarts(PlannedJob job, double maxSeconds, BooleanSupplier sparkStarted) {
        JobPlanner.KernelPick kernel = job.kernel();
        if (kernel.name().startsWith("cuda")) return 0;
        int threads = job.plan().threads();
        return ensure(job.spec(), s -> JobPlanner.createKernel(kernel, s, threads, null), kernel.request(), threads,
                job.plan().kvChunk(), maxSeconds, sparkStarted);
    }

    /**
     * Warms {@code kernel} unless this JVM already did for the same configuration; runs at most
     * {@code maxSeconds}, and stops earlier once a repetition is as fast as the best one so far after
     * enough of them. Returns the seconds spent.
     */
    static double ensure(AttentionSpec spec, Function<AttentionSpec, AttentionKernel> kernels, String kernelName, int threads,
                         int kvChunk, double maxSeconds) {
        return ensure(spec, kernels, kernelName, threads, kvChunk, maxSeconds, () -> false);
    }

    /** As above, ending early (and leaving the JVM unmarked, so a later warm-up still runs) once {@code stop} says so. */
    static double ensure(AttentionSpec spec, Function<AttentionSpec, AttentionKernel> kernels, String kernelName, int threads,
                         int kvChunk, double maxSeconds, BooleanSupplier stop) {
        if (maxSeconds <= 0 || stop.getAsBoolean()) return 0;
        String key = kernelName + " " + threads + " " + spec.hq() + "/" + spec.hkv() + " " + spec.d() + "/" + spec.dv()
                + " " + spec.causal() + " " + spec.windowLeft() + "," + spec.windowRight() + " " + spec.softcap();
        if (WARMED.contains(key)) return 0;
        long start = System.nanoTime();
        // rows: several 6-row tiles and a ragged one; keys: two kv blocks and a ragged tail, Sk > Sq so the
        // bottom-right aligned masks cut through the blocks
        int kvBlock = Math.min(kvChunk, 256);
        AttentionSpec small = new AttentionSpec(Math.min(spec.sq(), 45), Math.min(spec.sk(), 2 * kvBlock + 37), spec.hq(),
                spec.hkv(), spec.d(), spec.dv(), spec.scale(), spec.causal(), spec.windowLeft(), spec.windowRight(), spec.softcap());
        SplittableRandom rnd = new SplittableRandom(1);
        float[] q = random(rnd, small.sq() * small.hq() * small.d());
        float[] k = random(rnd, small.sk() * small.hkv() * small.d());
        float[] v = random(rnd, small.sk() * small.hkv() * small.dv());
        KvSource source = LocalAttention.arrays(small, k, v);
        int hg = small.groupSize();
        float[] o = new float[small.sq() * hg * small.dv()];
        float[] lse = new float[small.sq() * hg];
        try (AttentionKernel kernel = kernels.apply(small)) {
            UnitRunner runner = new UnitRunner(small, kernel, small.sq(), kvBlock);
            double best = Double.MAX_VALUE;
            for (int rep = 0; ; rep++) {
                if (stop.getAsBoolean()) return (System.nanoTime() - start) / 1e9;
                long t0 = System.nanoTime();
                for (int g = 0; g < small.hkv(); g++) {
                    runner.query().load(0, small.sq(), q, 0, small.hq(), g * hg, small.queryFactor());
                    runner.run(g, source, o, 0, lse, 0);
                }
                double took = (System.nanoTime() - t0) / 1e9, elapsed = (System.nanoTime() - start) / 1e9;
                best = Math.min(best, took);
                if (elapsed >= maxSeconds || (rep >= 200 && took <= 1.2 * best)) break;
            }
        } catch (Exception e) {
            throw new IllegalStateException("kernel warm-up failed: " + e, e);
        }
        WARMED.add(key);
        return (System.nanoTime() - start) / 1e9;
    }

    private static float[] random(SplittableRandom rnd, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) rnd.nextDouble(-1, 1);
        return a;
    }
}
