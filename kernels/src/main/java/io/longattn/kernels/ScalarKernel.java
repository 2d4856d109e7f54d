package io.longattn.kernels;

/** float32 plain loops: the fallback that runs anywhere, and the readable statement of the algorithm. */
public final class ScalarKernel implements AttentionKernel {
    private final AttentionSpec spec;
    private final MaskGeometry mask;
    private float[] scores = new float[0];

    public ScalarKernel(AttentionSpec spec) {
        this.spec = spec;
        this.mask = spec.mask();
    }

    @Override
    public String name() {
        return "scalar";
    }

    @Override
    public void accumulate(QueryChunk q, KvBlock kv, SoftmaxState state) {
        final int n = kv.length();
        final int k0 = kv.k0();
        final int d = spec.d();
        final int dv = spec.dv();
        if (scores.length < n) scores = new float[kv.capacity];
        final float[] s = scores;
        final float[] qd = q.data, kd = kv.k, vd = kv.v;
        final boolean cap = spec.hasSoftcap();
        final float capF = spec.softcapFactor();
        final boolean full = mask.blockFullyVisible(q.q0(), q.tokens(), k0, n);
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
                float dot = 0f;
                for (int c = 0; c < d; c++) dot += qd[qo + c] * kd[ko + c];
                if (cap) dot = capF * (float) Math.tanh(dot);
                s[j] = dot;
                if (dot > blockMax) blockMax = dot;
            }
            final float mOld = state.max[r];
            final float mNew = Math.max(mOld, blockMax);
            final int ao = r * dv;
            float l = state.sum[r];
            if (mNew > mOld && mOld != Float.NEGATIVE_INFINITY) {
                float alpha = exp2(mOld - mNew);
                l *= alpha;
                for (int c = 0; c < dv; c++) state.acc[ao + c] *= alpha;
            }
            for (int j = lo; j < hi; j++) {
                float p = exp2(s[j] - mNew);
                l += p;
                final int vo = j * dv;
                for (int c = 0; c < dv; c++) state.acc[ao + c] += p * vd[vo + c];
            }
            state.sum[r] = l;
            state.max[r] = mNew;
        }
    }

    private static float exp2(float x) {
        return (float) Math.exp(x * AttentionSpec.LN_2);
    }
}
