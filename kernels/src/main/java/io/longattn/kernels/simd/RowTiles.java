package io.longattn.kernels.simd;

import io.longattn.kernels.AttentionSpec;
import io.longattn.kernels.KvBlock;
import io.longattn.kernels.MaskGeometry;
import io.longattn.kernels.QueryChunk;
import io.longattn.kernels.SoftmaxState;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

import java.util.Arrays;

import static io.longattn.kernels.simd.VectorShape.L;
import static io.longattn.kernels.simd.VectorShape.S;
import static io.longattn.kernels.simd.VectorShape.SUB;

/**
 * One thread's scratch and the row-tile loop: for rows [r0, r1) of a query chunk against a packed kv
 * block, sub-block by sub-block, each tile of R rows gets its scores (micro-kernel), its online softmax
 * (block max, alpha = 2^(m - m') skipped when the max did not move, p = 2^(s - m'), row sums) and its
 * P V update (micro-kernel over the packed V, edge kernels for the remaining columns).
 *
 * <p>Masks: a tile whose rows all see the whole sub-block takes the no-mask path; only straddling tiles
 * compute per-row bounds, restrict the panels they score to the tile's union of allowed keys, and set
 * masked scores to -inf (a row left with no key in the sub-block gets p = 0 and leaves its summary
 * untouched, so no NaN can appear).
 */
final class RowTiles {
    // Each thread's arrays are allocated one after the other: PAD unused slots at the end of each keep
    // the next array (maybe another thread's) off its cache lines (false sharing).
    private static final int PAD = 32;

    private final MaskGeometry mask;
    private final int d;
    private final int dv;
    private final boolean cap;
    private final float capF;
    private final KvPanels panels;
    /** The tile: 6x4 or 4x2 (the micro-kernels are static, one class per tile, for C2's constants). */
    private final boolean six;
    private final int R;
    private final int W;
    private final int QS;
    /** Scores, then probabilities, of one row tile: [R][SUB]. */
    private final float[] sc;
    private final int[] lo;
    private final int[] hi;
    private final float[] alpha;
    private final float[] lanes = new float[L + PAD];
    /** Accumulator rows of a partial (padded) tile: [R][dv]. */
    private final float[] tacc;
    /** This thread's full row tiles of the query chunk, packed [tile][c][QS]. */
    private float[] qp = new float[0];

    RowTiles(AttentionSpec spec, SimdTile tile, KvPanels panels) {
        this.mask = spec.mask();
        this.d = spec.d();
        this.dv = spec.dv();
        this.cap = spec.hasSoftcap();
        this.capF = spec.softcapFactor();
        this.panels = panels;
        this.six = tile == SimdTile.T6x4;
        this.R = six ? Tile6x4.R : Tile4x2.R;
        this.W = six ? Tile6x4.W : Tile4x2.W;
        this.QS = six ? Tile6x4.QS : Tile4x2.QS;
        this.sc = new float[R * SUB + PAD];
        this.lo = new int[R + PAD];
        this.hi = new int[R + PAD];
        this.alpha = new float[R + PAD];
        this.tacc = new float[R * dv + PAD];
    }

    /** Rows [r0, r1) of the chunk (r0 a multiple of R) against the whole block. */
    void compute(QueryChunk q, KvBlock kv, SoftmaxState state, int r0, int r1) {
        if (r0 >= r1) return;
        final int n = kv.length();
        final int k0 = kv.k0();
        // a last partial tile is packed with zero rows and runs through the same R-row micro-kernels (a
        // one-row kernel costs ~6x more per flop: a 4-row tail of a 256-row chunk would take ~9% of the
        // time with 6-row tiles); each row's arithmetic is the same in a full and in a padded tile, so
        // the bits do not depend on where the tiles fall
        final int tiles = (r1 - r0 + R - 1) / R;
        if (qp.length < tiles * QS * d) qp = new float[Math.max(tiles * QS * d, 2 * qp.length)];
        packQ(q.data, r0, r1, tiles);
        final boolean chunkFull = mask.blockFullyVisible(q.q0(), q.tokens(), k0, n);
        for (int kb = 0; kb < n; kb += SUB) {
            final int ke = Math.min(kb + SUB, n);
            for (int t = 0; t < tiles; t++) {
                final int r = r0 + t * R;
                tile(q, kv, state, r, Math.min(R, r1 - r), t * QS * d, kb, ke, chunkFull);
            }
        }
    }

    /** Packs rows [r0, r1) as tiles [tile][c][QS], the rows past r1 of the last tile as zeros. */
    private void packQ(float[] q, int r0, int r1, int tiles) {
        final float[] dst = qp;
        for (int t = 0; t < tiles; t++) {
            final int base = t * QS * d;
            for (int i = 0; i < R; i++) {
                final int row = r0 + t * R + i;
                if (row < r1) {
                    final int src = row * d;
                    for (int c = 0; c < d; c++) dst[base + c * QS + i] = q[src + c];
                } else {
                    for (int c = 0; c < d; c++) dst[base + c * QS + i] = 0f;
                }
            }
        }
    }

    /**
     * Rows [r, r + nr) (nr <= R; the packed tile at qp[qo] has R rows, zeros past nr) against keys
     * [kb, ke) of the block (block-relative).
     */
    private void tile(QueryChunk q, KvBlock kv, SoftmaxState state, int r, int nr, int qo, int kb, int ke,
                      boolean chunkFull) {
        final int k0 = kv.k0();
        int uLo = kb, uHi = ke;
        boolean full = chunkFull;
        if (!full) {
            int tFirst = q.tokenOfRow(r), tLast = q.tokenOfRow(r + nr - 1);
            full = mask.blockFullyVisible(tFirst, tLast - tFirst + 1, k0 + kb, ke - kb);
        }
        if (full) {
            for (int i = 0; i < nr; i++) {
                lo[i] = kb;
                hi[i] = ke;
            }
        } else {
            uLo = ke;
            uHi = kb;
            for (int i = 0; i < nr; i++) {
                int tok = q.tokenOfRow(r + i);
                int a = Math.max(kb, mask.loKey(tok) - k0);
                int b = Math.min(ke, mask.hiKey(tok) - k0);
                if (a >= b) {
                    a = 0;
                    b = 0;
                } else {
                    uLo = Math.min(uLo, a);
                    uHi = Math.max(uHi, b);
                }
                lo[i] = a;
                hi[i] = b;
            }
            if (uLo >= uHi) return;
        }
        final int js = uLo / W * W;
        final int je = (uHi + W - 1) / W * W;
        final float[] s = sc, kp = panels.kp, qpk = qp;
        // 1. scores for panels [js/W, je/W) into sc[i][j - kb]
        if (six) {
            for (int j = js; j < je; j += W) Tile6x4.scores(qpk, qo, d, kp, j * d, s, j - kb);
        } else {
            for (int j = js; j < je; j += W) Tile4x2.scores(qpk, qo, d, kp, j * d, s, j - kb);
        }
        if (cap) capScores(nr, js, je, kb);
        // 2. online softmax per row; the padding rows of a partial tile keep their (zero) scores as
        // p and alpha 1: they only ever touch the padding rows of the scratch accumulator
        boolean rescale = false;
        for (int i = 0; i < nr; i++) {
            float a = softmaxRow(state, r + i, i * SUB - kb, js, je, lo[i], hi[i]);
            alpha[i] = a;
            if (a != 1f) rescale = true;
        }
        for (int i = nr; i < R; i++) alpha[i] = 1f;
        // 3. acc = acc * alpha + P V over keys [uLo, uHi); a partial tile works on a scratch copy
        final float[] acc;
        final int a0;
        if (nr == R) {
            acc = state.acc;
            a0 = r * dv;
        } else {
            acc = tacc;
            a0 = 0;
            System.arraycopy(state.acc, r * dv, acc, 0, nr * dv);
            Arrays.fill(acc, nr * dv, R * dv, 0f);
        }
        final float[] v = kv.v, vpk = panels.vp;
        final int groups = dv / W, dvw = groups * W, dvl = dv / L * L;
        final int nPad = (kv.length() + W - 1) / W * W;
        final int s0 = -kb;
        if (six) {
            for (int g = 0; g < groups; g++) {
                Tile6x4.pv(acc, a0 + g * W, dv, vpk, g * nPad * W, s, s0, uLo, uHi, alpha, rescale);
            }
        } else {
            for (int g = 0; g < groups; g++) {
                Tile4x2.pv(acc, a0 + g * W, dv, vpk, g * nPad * W, s, s0, uLo, uHi,
                        alpha[0], alpha[1], alpha[2], alpha[3], rescale);
            }
        }
        int i4 = 0;
        for (; i4 + 4 <= R; i4 += 4) {
            for (int c = dvw; c < dvl; c += L) {
                EdgeKernels.pv4x1(acc, a0 + i4 * dv + c, dv, v, c, s, s0 + i4 * SUB, uLo, uHi,
                        alpha[i4], alpha[i4 + 1], alpha[i4 + 2], alpha[i4 + 3], rescale);
            }
        }
        for (; i4 < R; i4++) {
            for (int c = dvw; c < dvl; c += L) {
                EdgeKernels.pv1x1(acc, a0 + i4 * dv + c, dv, v, c, s, s0 + i4 * SUB, uLo, uHi, alpha[i4], rescale);
            }
        }
        for (int i = 0; i < R; i++) {
            EdgeKernels.pvScalar(acc, a0 + i * dv, dv, v, dvl, dv, s, s0 + i * SUB, uLo, uHi, alpha[i]);
        }
        if (nr < R) System.arraycopy(acc, 0, state.acc, r * dv, nr * dv);
    }

    /**
     * The soft cap, s = c log2(e) tanh(s), on the scores of rows [0, nr) of the tile, keys [js, je)
     * (block-relative). A method of its own, not part of softmaxRow: C2 stops inlining once a method's
     * graph is too large, and tanh inlined there left softmaxRow's exp2 as a call (its vectors boxed).
     */
    private void capScores(int nr, int js, int je, int kb) {
        final float[] s = sc;
        final FloatVector cf = FloatVector.broadcast(S, capF);
        for (int i = 0; i < nr; i++) {
            final int so = i * SUB - kb;
            for (int j = js; j < je; j += L) {
                Tanh.tanh(FloatVector.fromArray(S, s, so + j)).mul(cf).intoArray(s, so + j);
            }
        }
    }

    /**
     * Softmax bookkeeping of one row whose scores are sc[so + j] for j in [js, je) and whose allowed
     * keys are [lo, hi): turns scores into p = 2^(s - m') in place (0 outside [lo, hi)), updates the
     * row's max and sum and returns alpha = 2^(m - m') for its accumulator (1 when m did not move).
     */
    private float softmaxRow(SoftmaxState state, int row, int so, int js, int je, int lo, int hi) {
        final float[] s = sc;
        if (lo >= hi) {
            Arrays.fill(s, so + js, so + je, 0f);
            return 1f;
        }
        if (lo > js) Arrays.fill(s, so + js, so + lo, Float.NEGATIVE_INFINITY);
        if (hi < je) Arrays.fill(s, so + hi, so + je, Float.NEGATIVE_INFINITY);
        // block max; compare + blend, as FloatVector.max's NaN/-0 semantics cost 5 instructions
        FloatVector mx = FloatVector.fromArray(S, s, so + js);
        for (int j = js + L; j < je; j += L) {
            FloatVector x = FloatVector.fromArray(S, s, so + j);
            mx = mx.blend(x, mx.lt(x));
        }
        final float bm = mx.reduceLanes(VectorOperators.MAX);
        final float mOld = state.max[row];
        final float mNew = Math.max(mOld, bm);
        final float alpha = mNew == mOld ? 1f : (float) Math.exp((mOld - mNew) * AttentionSpec.LN_2);
        final FloatVector mv = FloatVector.broadcast(S, mNew);
        FloatVector sum = FloatVector.zero(S);
        for (int j = js; j < je; j += L) {
            FloatVector p = Exp2.exp2(FloatVector.fromArray(S, s, so + j).sub(mv));
            sum = sum.add(p);
            p.intoArray(s, so + j);
        }
        // lanes added in a fixed order: reduceLanes(ADD) sums in a different order when intrinsified
        // (C2) than in its Java fallback (interpreter, C1), so its bits would depend on JIT timing
        sum.intoArray(lanes, 0);
        float rs = 0f;
        for (int i = 0; i < L; i++) rs += lanes[i];
        state.sum[row] = state.sum[row] * alpha + rs;
        state.max[row] = mNew;
        return alpha;
    }
}
