package io.longattn.kernels.simd;

import jdk.incubator.vector.FloatVector;

import static io.longattn.kernels.simd.VectorShape.L;
import static io.longattn.kernels.simd.VectorShape.S;
import static io.longattn.kernels.simd.VectorShape.SUB;

/**
 * The 4x2 register tile (16 vector registers, AVX2): scores of 4 query rows against a panel of
 * W = 2 vectors of keys, and the P V update of 4 rows x 2 vectors of value columns. 8 accumulators, 2
 * key loads and 4 broadcasts of q per step over d; every FloatVector is a local and every index affine
 * in the loop variable with compile-time strides, so C2 keeps them in registers and drops range checks.
 */
final class Tile4x2 {
    static final int R = 4;
    /** Keys per packed panel (and value columns per packed group). */
    static final int W = 2 * L;
    /** Row stride of a packed query tile, qp[tile][c][QS]. */
    static final int QS = 4;

    private Tile4x2() {
    }

    /** Scores of a packed 4-row tile (qp[qo + c * 4 + i]) against one panel: sc[so + i * SUB + w]. */
    static void scores(float[] qp, int qo, int d, float[] kp, int ko, float[] sc, int so) {
        FloatVector a00 = FloatVector.zero(S), a01 = FloatVector.zero(S);
        FloatVector a10 = FloatVector.zero(S), a11 = FloatVector.zero(S);
        FloatVector a20 = FloatVector.zero(S), a21 = FloatVector.zero(S);
        FloatVector a30 = FloatVector.zero(S), a31 = FloatVector.zero(S);
        for (int c = 0; c < d; c++) {
            final int k = ko + c * W;
            final int qi = qo + c * QS;
            final FloatVector k0 = FloatVector.fromArray(S, kp, k);
            final FloatVector k1 = FloatVector.fromArray(S, kp, k + L);
            FloatVector b = FloatVector.broadcast(S, qp[qi]);
            a00 = k0.fma(b, a00);
            a01 = k1.fma(b, a01);
            b = FloatVector.broadcast(S, qp[qi + 1]);
            a10 = k0.fma(b, a10);
            a11 = k1.fma(b, a11);
            b = FloatVector.broadcast(S, qp[qi + 2]);
            a20 = k0.fma(b, a20);
            a21 = k1.fma(b, a21);
            b = FloatVector.broadcast(S, qp[qi + 3]);
            a30 = k0.fma(b, a30);
            a31 = k1.fma(b, a31);
        }
        a00.intoArray(sc, so);
        a01.intoArray(sc, so + L);
        a10.intoArray(sc, so + SUB);
        a11.intoArray(sc, so + SUB + L);
        a20.intoArray(sc, so + 2 * SUB);
        a21.intoArray(sc, so + 2 * SUB + L);
        a30.intoArray(sc, so + 3 * SUB);
        a31.intoArray(sc, so + 3 * SUB + L);
    }

    /**
     * acc rows a0, a0+dv, a0+2dv, a0+3dv, W columns: acc = acc * alpha + sum_j p[i][j] v[j], v packed as
     * vp[vo + j * W + w], p[p0 + i * SUB + j].
     */
    static void pv(float[] acc, int a0, int dv, float[] vp, int vo, float[] p, int p0,
                      int j0, int j1, float al0, float al1, float al2, float al3, boolean rescale) {
        final int a1 = a0 + dv, a2 = a1 + dv, a3 = a2 + dv;
        FloatVector o00 = FloatVector.fromArray(S, acc, a0), o01 = FloatVector.fromArray(S, acc, a0 + L);
        FloatVector o10 = FloatVector.fromArray(S, acc, a1), o11 = FloatVector.fromArray(S, acc, a1 + L);
        FloatVector o20 = FloatVector.fromArray(S, acc, a2), o21 = FloatVector.fromArray(S, acc, a2 + L);
        FloatVector o30 = FloatVector.fromArray(S, acc, a3), o31 = FloatVector.fromArray(S, acc, a3 + L);
        if (rescale) {
            o00 = o00.mul(al0);
            o01 = o01.mul(al0);
            o10 = o10.mul(al1);
            o11 = o11.mul(al1);
            o20 = o20.mul(al2);
            o21 = o21.mul(al2);
            o30 = o30.mul(al3);
            o31 = o31.mul(al3);
        }
        for (int j = j0; j < j1; j++) {
            final int vi = vo + j * W;
            final int pi = p0 + j;
            final FloatVector v0 = FloatVector.fromArray(S, vp, vi);
            final FloatVector v1 = FloatVector.fromArray(S, vp, vi + L);
            FloatVector b = FloatVector.broadcast(S, p[pi]);
            o00 = v0.fma(b, o00);
            o01 = v1.fma(b, o01);
            b = FloatVector.broadcast(S, p[pi + SUB]);
            o10 = v0.fma(b, o10);
            o11 = v1.fma(b, o11);
            b = FloatVector.broadcast(S, p[pi + 2 * SUB]);
            o20 = v0.fma(b, o20);
            o21 = v1.fma(b, o21);
            b = FloatVector.broadcast(S, p[pi + 3 * SUB]);
            o30 = v0.fma(b, o30);
            o31 = v1.fma(b, o31);
        }
        o00.intoArray(acc, a0);
        o01.intoArray(acc, a0 + L);
        o10.intoArray(acc, a1);
        o11.intoArray(acc, a1 + L);
        o20.intoArray(acc, a2);
        o21.intoArray(acc, a2 + L);
        o30.intoArray(acc, a3);
        o31.intoArray(acc, a3 + L);
    }
}
