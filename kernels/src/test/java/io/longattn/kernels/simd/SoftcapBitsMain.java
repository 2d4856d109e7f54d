package io.longattn.kernels.simd;

import io.longattn.kernels.AttentionKernel;
import io.longattn.kernels.AttentionSpec;
import io.longattn.kernels.LocalAttention;
import io.longattn.kernels.ScalarKernel;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Run in child JVMs by {@link SoftcapBitsTest}: computes {@link #SPEC} with the SIMD kernel (created
 * directly, as its provider refuses a JVM without C2) and the scalar kernel {@code args[0]} times and
 * prints one line of output hashes per repetition, so the JVM's execution mode (interpreter, C1, C2
 * after warm-up) can be compared bit for bit.
 */
public final class SoftcapBitsMain {
    /** Scores of +-5 and more after the cap's 1/c: both of the SIMD tanh's ranges are used. */
    static final AttentionSpec SPEC = AttentionSpec.of(40, 72, 2, 1, 32, 24).withCausal(true).withSoftcap(1);

    private SoftcapBitsMain() {
    }

    static float[] random(long seed, int n, float range) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) ((r.nextDouble() * 2 - 1) * range);
        return a;
    }

    static String hashes(AttentionKernel k) {
        float[] q = random(1, SPEC.sq() * SPEC.hq() * SPEC.d(), 3);
        float[] kk = random(2, SPEC.sk() * SPEC.hkv() * SPEC.d(), 3);
        float[] v = random(3, SPEC.sk() * SPEC.hkv() * SPEC.dv(), 1);
        LocalAttention.Result r = LocalAttention.compute(SPEC, q, kk, v, k, 16, 32);
        return Integer.toHexString(Arrays.hashCode(r.o())) + "/" + Integer.toHexString(Arrays.hashCode(r.lse()));
    }

    public static void main(String[] args) {
        int reps = Integer.parseInt(args[0]);
        try (SimdKernel simd = new SimdKernel(SPEC, 1, SimdTile.AUTO);
             ScalarKernel scalar = new ScalarKernel(SPEC)) {
            for (int i = 0; i < reps; i++) {
                System.out.println("simd " + hashes(simd) + " scalar " + hashes(scalar));
            }
        }
    }
}
