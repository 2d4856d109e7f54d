package io.longattn.kernels.simd;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * 2^x lane-wise for the softmax's p = 2^(s - m'). A polynomial rather than lanewise(EXP): inside the
 * kernel it was faster on JDK 17 and 25 (docs/simd-kernel-notes.md), and scores already in log2 units
 * need no ln 2 multiply.
 */
final class Exp2 {
    private static final float MAGIC = 12582912f; // 1.5 * 2^23: x + MAGIC rounds x to an integer in the low mantissa bits
    // degree-5 minimax fit of 2^f on [-0.5, 0.5] (relative error 1.7e-7 evaluated in float32)
    private static final float E1 = 6.931469776e-01f;
    private static final float E2 = 2.402224208e-01f;
    private static final float E3 = 5.550733745e-02f;
    private static final float E4 = 9.671512812e-03f;
    private static final float E5 = 1.326472721e-03f;

    private Exp2() {
    }

    /**
     * 2^x for x <= 0 (x < -125, -inf included, gives exactly 0); relative error <= 2e-7.
     * x = n + f with n = round(x) by the MAGIC addition (no float/int conversion: those are not
     * intrinsified on JDK 17), 2^f by an Estrin-evaluated polynomial (short dependency chains), and n
     * added into the exponent bits.
     */
    static FloatVector exp2(FloatVector x) {
        final FloatVector t = x.add(MAGIC);
        final FloatVector f = x.sub(t.sub(MAGIC));
        final FloatVector f2 = f.mul(f);
        final FloatVector a = f.fma(E1, 1f);
        final FloatVector b = f.fma(E3, E2);
        final FloatVector c = f.fma(E5, E4);
        final FloatVector p = f2.fma(f2.fma(c, b), a);
        final FloatVector r = p.reinterpretAsInts().add(t.reinterpretAsInts().lanewise(VectorOperators.LSHL, 23))
                .reinterpretAsFloats();
        return r.blend(0f, x.lt(-125f));
    }
}
