package io.longattn.kernels.simd;

import jdk.incubator.vector.FloatVector;

import static io.longattn.kernels.simd.VectorShape.L;
import static io.longattn.kernels.simd.VectorShape.S;
import static io.longattn.kernels.simd.VectorShape.SUB;

/**
 * The 6x4 register tile (32 vector registers, AVX-512): 24 accumulators + 4 key vectors + 1 broadcast =
 * 29 registers; one broadcast per 4 FMAs. The packed query tile's row stride is 8, a power of two: with
 * 6, C2 turned {@code c * 6} into shifts and an add and kept two range checks on qp per 24 FMAs.
 */
final class Tile6x4 {
    static final int R = 6;
    /** Keys per packed panel (and value columns per packed group). */
    static final int W = 4 * L;
    /** Row stride of a packed query tile, qp[tile][c][QS]. */
    static final int QS = 8;

    private Tile6x4() {
    }

    /** Scores of a packed 6-row tile (qp[qo + c * QS + i]) against one 4-vector panel (W = 4L): sc[so + i * SUB + w]. */
    static void scores(float[] qp, int qo, int d, float[] kp, int ko, float[] sc, int so) {
        FloatVector a00 = FloatVector.zero(S), a01 = FloatVector.zero(S), a02 = FloatVector.zero(S), a03 = FloatVector.zero(S);
        FloatVector a10 = FloatVector.zero(S), a11 = FloatVector.zero(S), a12 = FloatVector.zero(S), a13 = FloatVector.zero(S);
        FloatVector a20 = FloatVector.zero(S), a21 = FloatVector.zero(S), a22 = FloatVector.zero(S), a23 = FloatVector.zero(S);
        FloatVector a30 = FloatVector.zero(S), a31 = FloatVector.zero(S), a32 = FloatVector.zero(S), a33 = FloatVector.zero(S);
        FloatVector a40 = FloatVector.zero(S), a41 = FloatVector.zero(S), a42 = FloatVector.zero(S), a43 = FloatVector.zero(S);
        FloatVector a50 = FloatVector.zero(S), a51 = FloatVector.zero(S), a52 = FloatVector.zero(S), a53 = FloatVector.zero(S);
        for (int c = 0; c < d; c++) {
            final int k = ko + c * W;
            final int qi = qo + c * QS;
            final FloatVector k0 = FloatVector.fromArray(S, kp, k + 0 * L);
            final FloatVector k1 = FloatVector.fromArray(S, kp, k + 1 * L);
            final FloatVector k2 = FloatVector.fromArray(S, kp, k + 2 * L);
            final FloatVector k3 = FloatVector.fromArray(S, kp, k + 3 * L);
            FloatVector b = FloatVector.broadcast(S, qp[qi + 0]);
            a00 = k0.fma(b, a00);
            a01 = k1.fma(b, a01);
            a02 = k2.fma(b, a02);
            a03 = k3.fma(b, a03);
            b = FloatVector.broadcast(S, qp[qi + 1]);
            a10 = k0.fma(b, a10);
            a11 = k1.fma(b, a11);
            a12 = k2.fma(b, a12);
            a13 = k3.fma(b, a13);
            b = FloatVector.broadcast(S, qp[qi + 2]);
            a20 = k0.fma(b, a20);
            a21 = k1.fma(b, a21);
            a22 = k2.fma(b, a22);
            a23 = k3.fma(b, a23);
            b = FloatVector.broadcast(S, qp[qi + 3]);
            a30 = k0.fma(b, a30);
            a31 = k1.fma(b, a31);
            a32 = k2.fma(b, a32);
            a33 = k3.fma(b, a33);
            b = FloatVector.broadcast(S, qp[qi + 4]);
            a40 = k0.fma(b, a40);
            a41 = k1.fma(b, a41);
            a42 = k2.fma(b, a42);
            a43 = k3.fma(b, a43);
            b = FloatVector.broadcast(S, qp[qi + 5]);
            a50 = k0.fma(b, a50);
            a51 = k1.fma(b, a51);
            a52 = k2.fma(b, a52);
            a53 = k3.fma(b, a53);
        }
        a00.intoArray(sc, so + 0 * SUB + 0 * L);
        a01.intoArray(sc, so + 0 * SUB + 1 * L);
        a02.intoArray(sc, so + 0 * SUB + 2 * L);
        a03.intoArray(sc, so + 0 * SUB + 3 * L);
        a10.intoArray(sc, so + 1 * SUB + 0 * L);
        a11.intoArray(sc, so + 1 * SUB + 1 * L);
        a12.intoArray(sc, so + 1 * SUB + 2 * L);
        a13.intoArray(sc, so + 1 * SUB + 3 * L);
        a20.intoArray(sc, so + 2 * SUB + 0 * L);
        a21.intoArray(sc, so + 2 * SUB + 1 * L);
        a22.intoArray(sc, so + 2 * SUB + 2 * L);
        a23.intoArray(sc, so + 2 * SUB + 3 * L);
        a30.intoArray(sc, so + 3 * SUB + 0 * L);
        a31.intoArray(sc, so + 3 * SUB + 1 * L);
        a32.intoArray(sc, so + 3 * SUB + 2 * L);
        a33.intoArray(sc, so + 3 * SUB + 3 * L);
        a40.intoArray(sc, so + 4 * SUB + 0 * L);
        a41.intoArray(sc, so + 4 * SUB + 1 * L);
        a42.intoArray(sc, so + 4 * SUB + 2 * L);
        a43.intoArray(sc, so + 4 * SUB + 3 * L);
        a50.intoArray(sc, so + 5 * SUB + 0 * L);
        a51.intoArray(sc, so + 5 * SUB + 1 * L);
        a52.intoArray(sc, so + 5 * SUB + 2 * L);
        a53.intoArray(sc, so + 5 * SUB + 3 * L);
    }

    /** 6 rows (a0 + i * dv) x 4 packed vectors (W = 4L) of columns, alpha[i] per row. */
    static void pv(float[] acc, int a0, int dv, float[] vp, int vo, float[] p, int p0,
                      int j0, int j1, float[] alpha, boolean rescale) {
        final int a1 = a0 + 1 * dv, a2 = a0 + 2 * dv, a3 = a0 + 3 * dv, a4 = a0 + 4 * dv, a5 = a0 + 5 * dv;
        FloatVector o00 = FloatVector.fromArray(S, acc, a0 + 0 * L), o01 = FloatVector.fromArray(S, acc, a0 + 1 * L), o02 = FloatVector.fromArray(S, acc, a0 + 2 * L), o03 = FloatVector.fromArray(S, acc, a0 + 3 * L);
        FloatVector o10 = FloatVector.fromArray(S, acc, a1 + 0 * L), o11 = FloatVector.fromArray(S, acc, a1 + 1 * L), o12 = FloatVector.fromArray(S, acc, a1 + 2 * L), o13 = FloatVector.fromArray(S, acc, a1 + 3 * L);
        FloatVector o20 = FloatVector.fromArray(S, acc, a2 + 0 * L), o21 = FloatVector.fromArray(S, acc, a2 + 1 * L), o22 = FloatVector.fromArray(S, acc, a2 + 2 * L), o23 = FloatVector.fromArray(S, acc, a2 + 3 * L);
        FloatVector o30 = FloatVector.fromArray(S, acc, a3 + 0 * L), o31 = FloatVector.fromArray(S, acc, a3 + 1 * L), o32 = FloatVector.fromArray(S, acc, a3 + 2 * L), o33 = FloatVector.fromArray(S, acc, a3 + 3 * L);
        FloatVector o40 = FloatVector.fromArray(S, acc, a4 + 0 * L), o41 = FloatVector.fromArray(S, acc, a4 + 1 * L), o42 = FloatVector.fromArray(S, acc, a4 + 2 * L), o43 = FloatVector.fromArray(S, acc, a4 + 3 * L);
        FloatVector o50 = FloatVector.fromArray(S, acc, a5 + 0 * L), o51 = FloatVector.fromArray(S, acc, a5 + 1 * L), o52 = FloatVector.fromArray(S, acc, a5 + 2 * L), o53 = FloatVector.fromArray(S, acc, a5 + 3 * L);
        if (rescale) {
            final float al0 = alpha[0];
            o00 = o00.mul(al0);
            o01 = o01.mul(al0);
            o02 = o02.mul(al0);
            o03 = o03.mul(al0);
            final float al1 = alpha[1];
            o10 = o10.mul(al1);
            o11 = o11.mul(al1);
            o12 = o12.mul(al1);
            o13 = o13.mul(al1);
            final float al2 = alpha[2];
            o20 = o20.mul(al2);
            o21 = o21.mul(al2);
            o22 = o22.mul(al2);
            o23 = o23.mul(al2);
            final float al3 = alpha[3];
            o30 = o30.mul(al3);
            o31 = o31.mul(al3);
            o32 = o32.mul(al3);
            o33 = o33.mul(al3);
            final float al4 = alpha[4];
            o40 = o40.mul(al4);
            o41 = o41.mul(al4);
            o42 = o42.mul(al4);
            o43 = o43.mul(al4);
            final float al5 = alpha[5];
            o50 = o50.mul(al5);
            o51 = o51.mul(al5);
            o52 = o52.mul(al5);
            o53 = o53.mul(al5);
        }
        for (int j = j0; j < j1; j++) {
            final int vi = vo + j * W;
            final int pi = p0 + j;
            final FloatVector v0 = FloatVector.fromArray(S, vp, vi + 0 * L);
            final FloatVector v1 = FloatVector.fromArray(S, vp, vi + 1 * L);
            final FloatVector v2 = FloatVector.fromArray(S, vp, vi + 2 * L);
            final FloatVector v3 = FloatVector.fromArray(S, vp, vi + 3 * L);
            FloatVector b = FloatVector.broadcast(S, p[pi + 0 * SUB]);
            o00 = v0.fma(b, o00);
            o01 = v1.fma(b, o01);
            o02 = v2.fma(b, o02);
            o03 = v3.fma(b, o03);
            b = FloatVector.broadcast(S, p[pi + 1 * SUB]);
            o10 = v0.fma(b, o10);
            o11 = v1.fma(b, o11);
            o12 = v2.fma(b, o12);
            o13 = v3.fma(b, o13);
            b = FloatVector.broadcast(S, p[pi + 2 * SUB]);
            o20 = v0.fma(b, o20);
            o21 = v1.fma(b, o21);
            o22 = v2.fma(b, o22);
            o23 = v3.fma(b, o23);
            b = FloatVector.broadcast(S, p[pi + 3 * SUB]);
            o30 = v0.fma(b, o30);
            o31 = v1.fma(b, o31);
            o32 = v2.fma(b, o32);
            o33 = v3.fma(b, o33);
            b = FloatVector.broadcast(S, p[pi + 4 * SUB]);
            o40 = v0.fma(b, o40);
            o41 = v1.fma(b, o41);
            o42 = v2.fma(b, o42);
            o43 = v3.fma(b, o43);
            b = FloatVector.broadcast(S, p[pi + 5 * SUB]);
            o50 = v0.fma(b, o50);
            o51 = v1.fma(b, o51);
            o52 = v2.fma(b, o52);
            o53 = v3.fma(b, o53);
        }
        o00.intoArray(acc, a0 + 0 * L);
        o01.intoArray(acc, a0 + 1 * L);
        o02.intoArray(acc, a0 + 2 * L);
        o03.intoArray(acc, a0 + 3 * L);
        o10.intoArray(acc, a1 + 0 * L);
        o11.intoArray(acc, a1 + 1 * L);
        o12.intoArray(acc, a1 + 2 * L);
        o13.intoArray(acc, a1 + 3 * L);
        o20.intoArray(acc, a2 + 0 * L);
        o21.intoArray(acc, a2 + 1 * L);
        o22.intoArray(acc, a2 + 2 * L);
        o23.intoArray(acc, a2 + 3 * L);
        o30.intoArray(acc, a3 + 0 * L);
        o31.intoArray(acc, a3 + 1 * L);
        o32.intoArray(acc, a3 + 2 * L);
        o33.intoArray(acc, a3 + 3 * L);
        o40.intoArray(acc, a4 + 0 * L);
        o41.intoArray(acc, a4 + 1 * L);
        o42.intoArray(acc, a4 + 2 * L);
        o43.intoArray(acc, a4 + 3 * L);
        o50.intoArray(acc, a5 + 0 * L);
        o51.intoArray(acc, a5 + 1 * L);
        o52.intoArray(acc, a5 + 2 * L);
        o53.intoArray(acc, a5 + 3 * L);
    }
}
