package io.longattn.kernels;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Test inputs and the comparison of a kernel's output with {@link Float64Reference}.
 *
 * <p>Tolerance. The kernels compute in float32 and the judge in float64, so the bound must follow
 * float32's rounding. Two sources matter:
 * <ul>
 * <li>Output rounding: O is a convex combination of rows of V, formed by summing up to Sk products in
 * float32. The absolute error scales with the output scale max|V|, not with |O| (O can be near 0 by
 * cancellation), so the bound is relative to max|V|: {@code 1e-5 * max|V|}, ~170 float32 ulps,
 * ample for sums over the few hundred keys used here, and still ~1000x below the error of any real
 * mistake (a dropped key, a wrong mask bound or a missing rescale moves O by ~1e-2 of max|V|).</li>
 * <li>Score rounding: a score s = scale * q.k is formed in float32 with a relative error of a few
 * ulps of its magnitude S = scale * sum_c |q_c k_c| (plus the rounding of folding scale*log2e into
 * q, and of s - max in log2 units). An absolute error delta in s multiplies p = e^(s-m) by
 * (1 + delta), so O moves by ~2 delta max|V| and LSE by ~delta. For ordinary logits (S ~ 10) this
 * is ~1e-6 and hidden under the first term; for logits ~1e3 one float32 ulp of the score is
 * already ~1e-4 (2^-24 * 1443 in log2 units), so no fixed 1e-5 bound can hold: the bound grows with
 * {@code SCORE_ULPS * 2^-24 * S}, S taken over the allowed pairs of the tensor.</li>
 * </ul>
 * LSE is checked as an absolute error bound of {@code 1e-5 * max(1, |LSE|) + SCORE_ULPS * 2^-24 * S}.
 */
final class Oracle {
    static final double OUT_REL = 1e-5;
    /**
     * Float32 ulps of the score magnitude S allowed as score error. S sums |q_c k_c|, an upper bound
     * on |q.k|, so this is ~4 ulps of the worst score; measured errors at logits ~2.5e3 use under a
     * third of it (LSE) and ~1% of it (O).
     */
    static final double SCORE_ULPS = 4;
    static final double F32_EPS = 0x1p-24;

    private Oracle() {
    }

    /** Inputs of one call: q [sq][hq][d], k [sk][hkv][d], v [sk][hkv][dv]. */
    record Inputs(AttentionSpec spec, float[] q, float[] k, float[] v) {
    }

    static Inputs random(AttentionSpec spec, long seed, double qkStd) {
        SplittableRandom rnd = new SplittableRandom(seed);
        float[] q = gaussian(rnd, spec.sq() * spec.hq() * spec.d(), qkStd);
        float[] k = gaussian(rnd, spec.sk() * spec.hkv() * spec.d(), qkStd);
        float[] v = gaussian(rnd, spec.sk() * spec.hkv() * spec.dv(), 1.0);
        return new Inputs(spec, q, k, v);
    }

    static float[] gaussian(SplittableRandom rnd, int n, double std) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            // Box-Muller, one value per pair is enough here
            double u1 = rnd.nextDouble(), u2 = rnd.nextDouble();
            a[i] = (float) (std * Math.sqrt(-2 * Math.log(1 - u1)) * Math.cos(2 * Math.PI * u2));
        }
        return a;
    }

    /** Errors of one comparison, in units of their tolerance (pass when both are <= 1). */
    record Report(double maxOutErr, double outTol, double maxLseErr, double lseTolAtWorst, double worstLseRatio,
                  double scoreMagnitude, int maskedRows) {
        @Override
        public String toString() {
            return String.format("maxOutErr=%.3g (tol %.3g) worstLseRatio=%.3g maxLseErr=%.3g S=%.4g maskedRows=%d",
                    maxOutErr, outTol, worstLseRatio, maxLseErr, scoreMagnitude, maskedRows);
        }
    }

    /** Compares a kernel result with the float64 reference; returns the report without asserting. */
    static Report measure(Inputs in, LocalAttention.Result got) {
        AttentionSpec spec = in.spec();
        int sq = spec.sq(), hq = spec.hq(), d = spec.d(), dv = spec.dv(), hkv = spec.hkv(), hg = spec.groupSize();
        MaskGeometry mask = spec.mask();
        double maxV = 0;
        for (float x : in.v()) maxV = Math.max(maxV, Math.abs(x));
        double sMag = 0;
        for (int i = 0; i < sq; i++) {
            for (int h = 0; h < hq; h++) {
                int g = h / hg;
                int qo = (i * hq + h) * d;
                for (int j = mask.loKey(i); j < mask.hiKey(i); j++) {
                    int ko = (j * hkv + g) * d;
                    double a = 0;
                    for (int c = 0; c < d; c++) a += Math.abs((double) in.q()[qo + c] * in.k()[ko + c]);
                    sMag = Math.max(sMag, a * spec.scale());
                }
            }
        }
        double scoreTerm = SCORE_ULPS * F32_EPS * sMag;
        double outTol = maxV * (OUT_REL + 2 * scoreTerm);
        double maxOut = 0, maxLse = 0, worstRatio = 0, lseTolWorst = 0;
        int masked = 0;
        double[] ref = new double[dv];
        for (int i = 0; i < sq; i++) {
            for (int h = 0; h < hq; h++) {
                double lse = Float64Reference.row(spec, in.q(), in.k(), in.v(), i, h, ref);
                int oo = (i * hq + h) * dv;
                for (int c = 0; c < dv; c++) {
                    float o = got.o()[oo + c];
                    if (Float.isNaN(o) || Float.isInfinite(o)) {
                        fail("output [" + i + "," + h + "," + c + "] is " + o);
                    }
                    maxOut = Math.max(maxOut, Math.abs(o - ref[c]));
                }
                float gl = got.lse()[i * hq + h];
                if (Float.isNaN(gl)) fail("LSE [" + i + "," + h + "] is NaN");
                if (lse == Double.NEGATIVE_INFINITY) {
                    masked++;
                    if (gl != Float.NEGATIVE_INFINITY) fail("row [" + i + "," + h + "] is fully masked but LSE is " + gl);
                    for (int c = 0; c < dv; c++) {
                        if (got.o()[oo + c] != 0f) {
                            fail("row [" + i + "," + h + "] is fully masked but O[" + c + "] is " + got.o()[oo + c]);
                        }
                    }
                    continue;
                }
                if (gl == Float.NEGATIVE_INFINITY) fail("row [" + i + "," + h + "] LSE is -inf, expected " + lse);
                double err = Math.abs(gl - lse);
                double tol = OUT_REL * Math.max(1, Math.abs(lse)) + scoreTerm;
                maxLse = Math.max(maxLse, err);
                if (err / tol > worstRatio) {
                    worstRatio = err / tol;
                    lseTolWorst = tol;
                }
            }
        }
        return new Report(maxOut, outTol, maxLse, lseTolWorst, worstRatio, sMag, masked);
    }

    static Report check(String what, Inputs in, LocalAttention.Result got) {
        Report r = measure(in, got);
        assertTrue(r.maxOutErr() <= r.outTol(), what + ": output error too large: " + r);
        assertTrue(r.worstLseRatio() <= 1.0, what + ": LSE error too large: " + r);
        return r;
    }

    static int fullyMaskedRows(AttentionSpec spec) {
        MaskGeometry m = spec.mask();
        int n = 0;
        for (int i = 0; i < spec.sq(); i++) if (m.rowKeys(i) == 0) n++;
        return n * spec.hq();
    }

    static void assertMaskedRowCount(AttentionSpec spec, Report r) {
        assertEquals(fullyMaskedRows(spec), r.maskedRows());
    }
}
