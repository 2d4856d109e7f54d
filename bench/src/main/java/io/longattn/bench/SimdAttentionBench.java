package io.longattn.bench;

import io.longattn.kernels.AttentionSpec;
import io.longattn.kernels.LocalAttention;
import io.longattn.kernels.simd.SimdKernel;
import io.longattn.kernels.simd.SimdTile;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * Whole attention through the unit path with the SIMD kernel. GFLOP/s = 2 * unmasked pairs * Hq * (D + Dv)
 * / (seconds per op): 2 * seq^2 * 128 / t for the defaults (half the pairs, plus the diagonal, when causal).
 * Run: {@code java --add-modules=jdk.incubator.vector -jar bench/target/longattn-bench.jar SimdAttentionBench}
 * (the kernels' own engine, {@code io.longattn.kernels.bench.KernelBench}, also reports the ratio to the FMA peak).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "-Xmx4g"})
public class SimdAttentionBench {
    @Param({"4096"})
    public int seq;
    @Param({"64", "128"})
    public int dim;
    @Param({"false", "true"})
    public boolean causal;
    @Param({"1"})
    public int threads;
    /** The register tile: auto (the machine's), 4x2 or 6x4. */
    @Param({"auto"})
    public String tile;
    @Param({"512"})
    public int qChunk;
    @Param({"2048"})
    public int kvChunk;

    private AttentionSpec spec;
    private float[] q;
    private float[] k;
    private float[] v;
    private SimdKernel kernel;

    @Setup(Level.Trial)
    public void setup() {
        spec = AttentionSpec.of(seq, seq, 1, 1, dim, dim).withCausal(causal);
        SplittableRandom r = new SplittableRandom(42);
        q = random(r, seq * dim);
        k = random(r, seq * dim);
        v = random(r, seq * dim);
        SimdTile t = SimdTile.parse(tile);
        if (t == null) throw new IllegalArgumentException("tile '" + tile + "' is not one of auto, 4x2, 6x4");
        kernel = new SimdKernel(spec, threads, t);
    }

    private static float[] random(SplittableRandom r, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) (r.nextDouble() * 2 - 1);
        return a;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        kernel.close();
    }

    @Benchmark
    public LocalAttention.Result attention() {
        return LocalAttention.compute(spec, q, k, v, kernel, qChunk, kvChunk);
    }
}
