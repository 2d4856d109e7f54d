package io.longattn.kernels.simd;

import io.longattn.kernels.KvBlock;
import jdk.incubator.vector.FloatVector;

import static io.longattn.kernels.simd.VectorShape.L;
import static io.longattn.kernels.simd.VectorShape.S;

/**
 * A kv block packed once for every query row of the chunk: K into panels of W keys,
 * {@code kp[panel][c][W]} (key index contiguous, so a micro-kernel step loads W keys of one dimension
 * as NV vectors), and the full W-column groups of V into {@code vp[group][key][W]}. Panels can be
 * packed by several threads at once (disjoint ranges).
 */
final class KvPanels {
    /** Keys per panel: the tile's vectors x lanes. */
    final int w;
    private final int d;
    private final int dv;
    /** K of the block packed [panel][c][W]. */
    float[] kp = new float[0];
    /** The full W-column groups of V packed [group][key][W]. */
    float[] vp = new float[0];

    KvPanels(int w, int d, int dv) {
        this.w = w;
        this.d = d;
        this.dv = dv;
    }

    /** Grows the buffers to hold kv (sized for its capacity, so a block of the same size never regrows). */
    void ensure(KvBlock kv) {
        final int W = w;
        final int panels = (kv.length() + W - 1) / W;
        if (kp.length < panels * d * W || vp.length < panels * W * (dv / W) * W) {
            int cap = (kv.capacity + W - 1) / W * W;
            kp = new float[Math.multiplyExact(cap, d)];
            vp = new float[Math.multiplyExact(cap, (dv / W) * W)];
        }
    }

    /**
     * Packs keys of panels [p0, p1) into kp (zero past the block's end) and their values' full
     * W-column groups into vp.
     */
    void pack(KvBlock kv, int p0, int p1) {
        final int W = w;
        final float[] k = kv.k, dst = kp, v = kv.v, vdst = vp;
        final int n = kv.length();
        final int nPad = (n + W - 1) / W * W;
        final int groups = dv / W;
        for (int j = p0 * W, je = Math.min(n, p1 * W); j < je; j++) {
            final int src = j * dv;
            for (int g = 0; g < groups; g++) {
                final int o = (g * nPad + j) * W, sv = src + g * W;
                for (int h = 0; h < W; h += L) FloatVector.fromArray(S, v, sv + h).intoArray(vdst, o + h);
            }
        }
        for (int p = p0; p < p1; p++) {
            final int base = p * d * W;
            final int j0 = p * W;
            final int cnt = Math.min(W, n - j0);
            if (cnt == W) {
                // c outer, keys inner: contiguous stores; the W source rows stay in L1
                for (int c = 0; c < d; c++) {
                    final int o = base + c * W;
                    int src = j0 * d + c;
                    for (int x = 0; x < W; x++, src += d) dst[o + x] = k[src];
                }
            } else {
                for (int c = 0; c < d; c++) {
                    final int o = base + c * W;
                    for (int x = 0; x < cnt; x++) dst[o + x] = k[(j0 + x) * d + c];
                    for (int x = cnt; x < W; x++) dst[o + x] = 0f;
                }
            }
        }
    }
}
