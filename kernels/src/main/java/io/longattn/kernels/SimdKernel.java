package io.longattn.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * jdk.incubator.vector kernel. First version: vectorized dot products over d and value updates
 * over dv, one query row at a time. Vectors live only in local variables (a FloatVector kept in a
 * field or array boxes and runs ~10x slower).
 */
public final class SimdKernel implements AttentionKernel {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    private final AttentionSpec spec;
    private final MaskGeometry mask;
    private float[] scores = new float[0];

    public SimdKernel(AttentionSpec spec) {
        this.spec = spec;
        this.mask = spec.mask();
    }

    /** Null when the Vector API can be used here, else why not. */
    public static String unavailableReason() {
        if (S.length() < 4) {
            return "preferred float vector has " + S.length() + " lanes, expected at least 4";
        }
        return null;
    }

    public static String describe() {
        return S.length() + " float lanes (" + S.vectorBitSize() + "-bit)";
    }

    @Override
    public String name() {
        return "simd";
    }

    @Override
    public void accumulate(QueryChunk q, KvBlock kv, SoftmaxState state) {
        final int n = kv.length();
        final int k0 = kv.k0();
        final int d = spec.d();
        final int dv = spec.dv();
        if (scores.length < n) scores = new float[kv.capacity];
        final float[] s = scores;
        final float[] qd = q.data, kd = kv.k, vd = kv.v, acc = state.acc;
        final boolean cap = spec.hasSoftcap();
        final float capF = spec.softcapFactor();
        final boolean full = mask.blockFullyVisible(q.q0(), q.tokens(), k0, n);
        final int L = S.length();
        final int dBound = S.loopBound(d);
        final int dvBound = S.loopBound(dv);
        final int rows = q.rows();
        for (int r = 0; r < rows; r++) {
            int lo = 0, hi = n;
            if (!full) {
                int tok = q.tokenOfRow(r);
                lo = Math.max(0, mask.loKey(tok) - k0);
                hi = Math.min(n, mask.hiKey(tok) - k0);
                if (lo >= hi) continue;
            }
            final int qo = r * d;
            float blockMax = Float.NEGATIVE_INFINITY;
            for (int j = lo; j < hi; j++) {
                final int ko = j * d;
                FloatVector sum = FloatVector.zero(S);
                int c = 0;
                for (; c < dBound; c += L) {
                    sum = FloatVector.fromArray(S, qd, qo + c).fma(FloatVector.fromArray(S, kd, ko + c), sum);
                }
                float dot = sum.reduceLanes(VectorOperators.ADD);
                for (; c < d; c++) dot += qd[qo + c] * kd[ko + c];
                if (cap) dot = capF * (float) Math.tanh(dot);
                s[j] = dot;
                if (dot > blockMax) blockMax = dot;
            }
            final float mOld = state.max[r];
            final float mNew = Math.max(mOld, blockMax);
            final int ao = r * dv;
            float l = state.sum[r];
            if (mNew > mOld && mOld != Float.NEGATIVE_INFINITY) {
                float alpha = (float) Math.exp((mOld - mNew) * AttentionSpec.LN_2);
                l *= alpha;
                for (int c = 0; c < dv; c++) acc[ao + c] *= alpha;
            }
            for (int j = lo; j < hi; j++) {
                float p = (float) Math.exp((s[j] - mNew) * AttentionSpec.LN_2);
                l += p;
                final int vo = j * dv;
                int c = 0;
                for (; c < dvBound; c += L) {
                    FloatVector a = FloatVector.fromArray(S, acc, ao + c);
                    a = FloatVector.fromArray(S, vd, vo + c).fma(FloatVector.broadcast(S, p), a);
                    a.intoArray(acc, ao + c);
                }
                for (; c < dv; c++) acc[ao + c] += p * vd[vo + c];
            }
            state.sum[r] = l;
            state.max[r] = mNew;
        }
    }
}
