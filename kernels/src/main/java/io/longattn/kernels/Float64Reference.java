package io.longattn.kernels;

/**
 * The judge of every kernel: one obvious float64 loop over all keys of one query row, straight from
 * the definition O = softmax(Q K^T * scale + mask) V, with softcap c * tanh(s / c) before the softmax.
 * Tensors are token-major float32 arrays: q [sq][hq][d], k [sk][hkv][d], v [sk][hkv][dv].
 */
public final class Float64Reference {
    private Float64Reference() {
    }

    /**
     * Computes the output row of query i, head h into out[dv] and returns its natural-log LSE
     * (-inf, with out all zeros, when the mask hides every key).
     */
    public static double row(AttentionSpec spec, float[] q, float[] k, float[] v, int i, int h, double[] out) {
        return row(spec, q, (long) i * spec.hq() * spec.d() + (long) h * spec.d(), k, v, i, h, out);
    }

    /** As {@link #row(AttentionSpec, float[], float[], float[], int, int, double[])} with q's row at qOffset. */
    public static double row(AttentionSpec spec, float[] q, long qOffset, float[] k, float[] v, int i, int h, double[] out) {
        int d = spec.d(), dv = spec.dv(), hkv = spec.hkv();
        int g = h / spec.groupSize();
        MaskGeometry mask = spec.mask();
        int sk = spec.sk();
        double[] s = new double[sk];
        double max = Double.NEGATIVE_INFINITY;
        for (int j = 0; j < sk; j++) {
            if (!mask.allowed(i, j)) {
                s[j] = Double.NEGATIVE_INFINITY;
                continue;
            }
            double dot = 0;
            long ko = ((long) j * hkv + g) * d;
            for (int c = 0; c < d; c++) dot += (double) q[(int) (qOffset + c)] * k[(int) (ko + c)];
            dot *= spec.scale();
            if (spec.hasSoftcap()) dot = spec.softcap() * Math.tanh(dot / spec.softcap());
            s[j] = dot;
            max = Math.max(max, dot);
        }
        java.util.Arrays.fill(out, 0, dv, 0.0);
        if (max == Double.NEGATIVE_INFINITY) return Double.NEGATIVE_INFINITY;
        double sum = 0;
        for (int j = 0; j < sk; j++) {
            if (s[j] == Double.NEGATIVE_INFINITY) continue;
            double p = Math.exp(s[j] - max);
            sum += p;
            long vo = ((long) j * hkv + g) * dv;
            for (int c = 0; c < dv; c++) out[c] += p * v[(int) (vo + c)];
        }
        for (int c = 0; c < dv; c++) out[c] /= sum;
        return max + Math.log(sum);
    }
}
