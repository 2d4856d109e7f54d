package io.longattn.kernels.simd;

import jdk.incubator.vector.FloatVector;

import static io.longattn.kernels.simd.VectorShape.L;
import static io.longattn.kernels.simd.VectorShape.S;
import static io.longattn.kernels.simd.VectorShape.SUB;

/**
 * The P V update for value columns outside the tile's packed W-column groups (dv not a multiple of W):
 * unpacked V, 4 rows or 1 row per vector of columns, and a scalar loop for the last columns narrower
 * than a vector.
 */
final class EdgeKernels {
    private EdgeKernels() {
    }

    /** One vector of columns of 4 rows, v unpacked ([j][dv]). */
    static void pv4x1(float[] acc, int a0, int dv, float[] v, int vc, float[] p, int p0,
                              int j0, int j1, float al0, float al1, float al2, float al3, boolean rescale) {
        final int a1 = a0 + dv, a2 = a1 + dv, a3 = a2 + dv;
        FloatVector o0 = FloatVector.fromArray(S, acc, a0);
        FloatVector o1 = FloatVector.fromArray(S, acc, a1);
        FloatVector o2 = FloatVector.fromArray(S, acc, a2);
        FloatVector o3 = FloatVector.fromArray(S, acc, a3);
        if (rescale) {
            o0 = o0.mul(al0);
            o1 = o1.mul(al1);
            o2 = o2.mul(al2);
            o3 = o3.mul(al3);
        }
        for (int j = j0; j < j1; j++) {
            final FloatVector v0 = FloatVector.fromArray(S, v, j * dv + vc);
            final int pi = p0 + j;
            o0 = v0.fma(FloatVector.broadcast(S, p[pi]), o0);
            o1 = v0.fma(FloatVector.broadcast(S, p[pi + SUB]), o1);
            o2 = v0.fma(FloatVector.broadcast(S, p[pi + 2 * SUB]), o2);
            o3 = v0.fma(FloatVector.broadcast(S, p[pi + 3 * SUB]), o3);
        }
        o0.intoArray(acc, a0);
        o1.intoArray(acc, a1);
        o2.intoArray(acc, a2);
        o3.intoArray(acc, a3);
    }

    /** One row, one vector of columns. */
    static void pv1x1(float[] acc, int a0, int dv, float[] v, int vc, float[] p, int p0,
                              int j0, int j1, float al, boolean rescale) {
        FloatVector o0 = FloatVector.fromArray(S, acc, a0);
        if (rescale) o0 = o0.mul(al);
        for (int j = j0; j < j1; j++) {
            o0 = FloatVector.fromArray(S, v, j * dv + vc).fma(FloatVector.broadcast(S, p[p0 + j]), o0);
        }
        o0.intoArray(acc, a0);
    }

    /** Columns [c0, c1) of one row (the tail narrower than a vector), scalar. */
    static void pvScalar(float[] acc, int ai, int dv, float[] v, int c0, int c1, float[] p, int p0,
                                 int j0, int j1, float al) {
        for (int c = c0; c < c1; c++) {
            float o = acc[ai + c] * al;
            for (int j = j0; j < j1; j++) o += p[p0 + j] * v[j * dv + c];
            acc[ai + c] = o;
        }
    }
}
