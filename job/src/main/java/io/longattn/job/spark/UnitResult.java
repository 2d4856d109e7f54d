package io.longattn.job.spark;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * What a unit sends back: its order key and either finished rows (o [tokens][hg][dv], lse [tokens][hg])
 * or, for split-KV, a partial summary (SoftmaxState.toArray: max, sum, acc) still to be merged.
 * The task that computes it holds float arrays; a JVM that receives it holds the Arrow record batch it
 * arrived as ({@link ResultBatch}, written by {@link UnitResultSerializer}) and must {@link #close()} it
 * once written, unless it sends it on (which frees it). A plain class for Kryo (Spark's Kryo 4 has no serializer for records).
 */
public final class UnitResult implements AutoCloseable {
    public int index;
    public int chunk;
    public int group;
    public int split;
    public int tokens;
    /** True when the result is a partial summary rather than finished o / lse. */
    public boolean partial;
    /** Finished: floats per token of o and of lse; partial: 0, 0 and dv (the summary's max, sum and acc columns). */
    int[] widths;
    /** Rows of the batch: tokens, or the summary's state rows. */
    int rows;
    /** The columns as computed (o, lse, or the summary for each of max, sum, acc), until the result leaves its task. */
    float[][] columns;
    /** Where each computed column starts in its array. */
    int[] offsets;
    /** The columns as received. */
    transient ResultBatch batch;

    public UnitResult() {
    }

    public static UnitResult finished(int index, int chunk, int group, int tokens, float[] o, float[] lse) {
        UnitResult r = new UnitResult();
        r.index = index;
        r.chunk = chunk;
        r.group = group;
        r.tokens = tokens;
        r.rows = tokens;
        r.widths = new int[]{tokens == 0 ? 0 : o.length / tokens, tokens == 0 ? 0 : lse.length / tokens};
        r.columns = new float[][]{o, lse};
        r.offsets = new int[]{0, 0};
        return r;
    }

    /** @param summary SoftmaxState.toArray of rows state rows of dv accumulators */
    public static UnitResult partial(int index, int chunk, int group, int split, int tokens, int dv, float[] summary) {
        UnitResult r = new UnitResult();
        r.index = index;
        r.chunk = chunk;
        r.group = group;
        r.split = split;
        r.tokens = tokens;
        r.partial = true;
        int rows = summary.length / (dv + 2);
        r.rows = rows;
        r.widths = new int[]{0, 0, dv};
        r.columns = new float[][]{summary, summary, summary};
        r.offsets = new int[]{0, rows, 2 * rows};
        return r;
    }

    /** O rows [tokens][hg * dv], little-endian float32 from position 0: the Arrow buffer itself once received. */
    public ByteBuffer o() {
        return column(0);
    }

    /** LSE rows [tokens][hg], as {@link #o()}. */
    public ByteBuffer lse() {
        return column(1);
    }

    /** Finished o as computed (the task that computed it writes it in place). */
    float[] computedO() {
        return computed(0);
    }

    float[] computedLse() {
        return computed(1);
    }

    private float[] computed(int c) {
        if (columns == null) throw new IllegalStateException("unit " + index + " holds a received batch, not computed rows");
        return columns[c];
    }

    /** The partial summary in SoftmaxState.toArray's layout. */
    float[] summary() {
        if (!partial) throw new IllegalStateException("unit " + index + " is finished, not a partial summary");
        if (columns != null) return columns[0];
        if (batch == null) throw new IllegalStateException("unit " + index + ": its block was closed or sent on");
        float[] a = new float[rows * (widths[2] + 2)];
        for (int c = 0, at = 0; c < 3; c++) {
            int n = rows * Math.max(1, widths[c]);
            batch.column(c).asFloatBuffer().get(a, at, n);
            at += n;
        }
        return a;
    }

    private ByteBuffer column(int c) {
        if (partial) throw new IllegalStateException("unit " + index + " is a partial summary, not finished rows");
        if (batch != null) return batch.column(c);
        if (columns == null) throw new IllegalStateException("unit " + index + ": its block was closed or sent on");
        // computed rows that never went through UnitResultSerializer (a session without LongAttn's registrator, a test)
        float[] f = columns[c];
        ByteBuffer b = ByteBuffer.allocateDirect(f.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(f);
        return b;
    }

    /** Frees the received batch; nothing to do for computed rows. Idempotent. */
    @Override
    public void close() {
        if (batch != null) {
            batch.close();
            batch = null;
        }
    }
}
