package io.longattn.kernels;

import java.util.Arrays;

/**
 * The running summary of one query chunk: per row the running max m (in log2 units of the scaled
 * score), the weight sum l and the value accumulator acc[dv]. Row r is token r / heads, head r % heads
 * of the chunk (token-major, as the [S, H, D] tensors are laid out).
 *
 * <p>Online softmax (Milakov and Gimelshein 2018): a block with max m' updates
 * l = l * 2^(m - m') + sum 2^(s_j - m'), acc = acc * 2^(m - m') + sum 2^(s_j - m') v_j.
 */
public final class SoftmaxState implements UnitSummary {
    private final int rows;
    private final int dv;
    /** Running max per row, log2 units; -inf while the row has seen no key. */
    public final float[] max;
    /** Running weight sum per row, relative to 2^max. */
    public final float[] sum;
    /** Running weighted value sum per row, [rows][dv], relative to 2^max. */
    public final float[] acc;

    public SoftmaxState(int rows, int dv) {
        this.rows = rows;
        this.dv = dv;
        this.max = new float[rows];
        this.sum = new float[rows];
        this.acc = new float[Math.multiplyExact(rows, dv)];
        reset();
    }

    @Override
    public int rows() {
        return rows;
    }

    @Override
    public int dv() {
        return dv;
    }

    @Override
    public float max(int r) {
        return max[r];
    }

    @Override
    public float sum(int r) {
        return sum[r];
    }

    @Override
    public float acc(int r, int c) {
        return acc[r * dv + c];
    }

    public void reset() {
        Arrays.fill(max, Float.NEGATIVE_INFINITY);
        Arrays.fill(sum, 0f);
        Arrays.fill(acc, 0f);
    }

    /**
     * Exact merge of the summary of a disjoint key set into this one (the online softmax identity):
     * m = max(m1, m2), l = l1 2^(m1-m) + l2 2^(m2-m), acc likewise.
     */
    public void merge(UnitSummary other) {
        if (other.rows() != rows || other.dv() != dv) {
            throw new IllegalArgumentException("cannot merge summaries of " + other.rows() + "x" + other.dv()
                    + " into " + rows + "x" + dv);
        }
        for (int r = 0; r < rows; r++) {
            float m2 = other.max(r);
            if (m2 == Float.NEGATIVE_INFINITY) continue;
            float m1 = max[r];
            float m = Math.max(m1, m2);
            float a1 = m1 == Float.NEGATIVE_INFINITY ? 0f : (float) Math.pow(2.0, m1 - m);
            float a2 = (float) Math.pow(2.0, m2 - m);
            sum[r] = sum[r] * a1 + other.sum(r) * a2;
            int base = r * dv;
            for (int c = 0; c < dv; c++) {
                acc[base + c] = acc[base + c] * a1 + other.acc(r, c) * a2;
            }
            max[r] = m;
        }
    }

    /**
     * Writes O = acc / l ([rows][dv]) and, when lse is not null, LSE = (m + log2 l) ln 2 per row.
     * A row that saw no key gives O = 0 and LSE = -inf. Only the first rowCount rows are written
     * (a ragged last chunk uses part of the buffers).
     */
    @Override
    public void finish(int rowCount, float[] out, int outOffset, float[] lse, int lseOffset) {
        for (int r = 0; r < rowCount; r++) {
            float l = sum[r];
            int base = r * dv;
            if (l > 0f) {
                float inv = 1f / l;
                for (int c = 0; c < dv; c++) {
                    out[outOffset + base + c] = acc[base + c] * inv;
                }
            } else {
                Arrays.fill(out, outOffset + base, outOffset + base + dv, 0f);
            }
            if (lse != null) {
                lse[lseOffset + r] = l > 0f
                        ? (float) ((max[r] + Math.log(l) * AttentionSpec.LOG2_E) * AttentionSpec.LN_2)
                        : Float.NEGATIVE_INFINITY;
            }
        }
    }

    /** Copies the summary into a flat array [max..., sum..., acc...] (for shipping partial summaries). */
    @Override
    public float[] toArray() {
        float[] a = new float[Math.multiplyExact(rows, dv + 2)];
        System.arraycopy(max, 0, a, 0, rows);
        System.arraycopy(sum, 0, a, rows, rows);
        System.arraycopy(acc, 0, a, 2 * rows, rows * dv);
        return a;
    }

    public static SoftmaxState fromArray(float[] a, int rows, int dv) {
        if (a.length != (long) rows * (dv + 2)) {
            throw new IllegalArgumentException("summary of length " + a.length + ", expected " + (long) rows * (dv + 2));
        }
        SoftmaxState s = new SoftmaxState(rows, dv);
        System.arraycopy(a, 0, s.max, 0, rows);
        System.arraycopy(a, rows, s.sum, 0, rows);
        System.arraycopy(a, 2 * rows, s.acc, 0, rows * dv);
        return s;
    }
}
