package io.longattn.kernels.simd;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;

/**
 * tanh lane-wise for the soft cap, built only from operations IEEE 754 rounds exactly (add, mul, fma,
 * div, compares, blends, sign-bit logic) and {@link Exp2}. lanewise(TANH) cannot be used: once C2
 * compiles it, it calls an SVML stub whose bits differ from the Java fallback the interpreter and C1
 * run, so the output of a job would depend on JIT timing, and LongAttn promises the same bits for the
 * same inputs.
 */
final class Tanh {
    private static final float LOG2_E = 1.44269504088896341f;
    /** Below this |x| the polynomial; above it 1 - 2/(e^2x + 1) loses nothing to cancellation (Cephes tanhf). */
    private static final float SMALL = 0.625f;
    // tanh(x) = x + x^3 P(x^2) on [-0.625, 0.625], Cephes tanhf's minimax fit
    private static final float P0 = -3.33332819422e-1f;
    private static final float P1 = 1.33314422036e-1f;
    private static final float P2 = -5.37397155531e-2f;
    private static final float P3 = 2.06390887954e-2f;
    private static final float P4 = -5.70498872745e-3f;

    private Tanh() {
    }

    /**
     * tanh(x) within 2.2 float32 ulps for every float (swept against Math.tanh); +-1 exactly once |x| > ~9
     * (and for +-inf); odd to the bit, -0 included. Both ranges work on |x| and the sign of x is copied
     * in at the end. Large |x|: with y = e^(-2|x|) = 2^(-2|x| log2 e) in (0, 0.29],
     * tanh|x| = (1 - y) / (1 + y), whose rounding errors stay relative because 1 - y >= 0.71.
     */
    static FloatVector tanh(FloatVector x) {
        final FloatVector ax = x.abs();
        final FloatVector y = Exp2.exp2(ax.mul(-2f * LOG2_E));
        final FloatVector big = y.neg().add(1f).div(y.add(1f));
        final FloatVector z = ax.mul(ax);
        final FloatVector p = z.fma(P4, P3).fma(z, x.broadcast(P2)).fma(z, x.broadcast(P1)).fma(z, x.broadcast(P0));
        final FloatVector small = z.mul(ax).fma(p, ax);
        final VectorMask<Float> isSmall = ax.lt(SMALL);
        return big.blend(small, isSmall).reinterpretAsInts()
                .or(x.reinterpretAsInts().and(Integer.MIN_VALUE))
                .reinterpretAsFloats();
    }
}
