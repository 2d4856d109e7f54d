package io.longattn.job.parquet;

import io.longattn.job.UserError;
import io.longattn.job.io.DType;
import io.longattn.job.io.TensorFiles;
import io.longattn.job.io.TensorWriter;
import io.longattn.kernels.Half;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.functions;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Packs one input's rows into the layout the job reads: an Arrow file of [total, heads, head_dim] rows sorted by
 * seq_id, then by order within the sequence, which with the per-sequence counts is FlashAttention's packed
 * varlen layout. Spark sorts the rows across the cluster; the driver streams them in order, one partition at a
 * time (toLocalIterator), so its memory holds one partition, never the tensor.
 */
final class PackedStaging {
    private PackedStaging() {
    }

    /** Rows of each seq_id. */
    static Map<Long, Long> counts(TensorRows t) {
        Map<Long, Long> counts = new HashMap<>();
        for (Row r : t.rows().groupBy(ParquetLayout.SEQ_ID).count().collectAsList()) {
            if (r.isNullAt(0)) {
                throw new UserError(t.name(), "column " + ParquetLayout.SEQ_ID + " holds a null", "a seq_id on every row");
            }
            counts.put(r.getLong(0), r.getLong(1));
        }
        return counts;
    }

    /** A Parquet FLOAT16: IEEE 754 half precision, little-endian. */
    private static float half(byte[] b) {
        return Half.toFloat((short) ((b[0] & 0xff) | (b[1] & 0xff) << 8));
    }

    /** V's rows of a sequence differ in number from K's (or, for an input's own counts, the data changed meanwhile). */
    private static RuntimeException differs(TensorRows t, String like, long id) {
        if (like == null) return new IllegalStateException(t.name() + ": rows of seq_id " + id + " changed while they were read");
        return new UserError(t.name(), "seq_id " + id + " has a different number of rows than in " + like,
                "the same rows per seq_id as the keys");
    }

    /**
     * Writes the rows, sorted, to {@code path}; returns head_dim.
     *
     * @param ids   every sequence of the job, ascending: the rows must come in this order of seq_id
     * @param cu    this input's offsets over ids (cu[i + 1] - cu[i] rows of ids[i])
     * @param heads heads per row
     * @param like  the input whose counts cu are (V's keys), named when the rows do not fit them; null: t's own
     */
    static int write(TensorRows t, long[] ids, int[] cu, int heads, String path, String like) {
        int total = cu[cu.length - 1];
        Iterator<Row> rows = t.rows().orderBy(functions.col(ParquetLayout.SEQ_ID), functions.col(TensorRows.ORDER)).toLocalIterator();
        TensorWriter w = null;
        try {
            int perToken = 0, dim = 0, inBuffer = 0, seq = 0;
            float[] buffer = null;
            long prevId = 0, prevPos = 0;
            for (int row = 0; row < total; row++) {
                while (cu[seq + 1] <= row) seq++;
                if (!rows.hasNext()) throw differs(t, like, ids[seq]);
                Row r = rows.next();
                if (r.isNullAt(0)) {
                    throw new UserError(t.name(), "column " + ParquetLayout.SEQ_ID + " holds a null", "a seq_id on every row");
                }
                long id = r.getLong(0);
                if (id != ids[seq]) throw differs(t, like, Math.min(id, ids[seq]));
                if (t.byPos()) {
                    if (r.isNullAt(1)) {
                        throw new UserError(t.name(), "column " + ParquetLayout.POS + " holds a null in seq_id " + id, "a pos on every row");
                    }
                    long pos = r.getLong(1);
                    if (row > cu[seq] && prevId == id && prevPos == pos) {
                        throw new UserError(t.name(), "seq_id " + id + " has two rows at pos " + pos, "one row per (seq_id, pos)");
                    }
                    prevPos = pos;
                }
                prevId = id;
                if (r.isNullAt(2)) {
                    throw new UserError(t.name(), "column " + t.role() + " holds a null in seq_id " + id, "heads * head_dim floats on every row");
                }
                List<?> values = r.getList(2);
                if (w == null) {
                    perToken = values.size();
                    if (perToken == 0 || perToken % heads != 0 || (t.headDim() > 0 && perToken != heads * t.headDim())) {
                        throw new UserError(t.name(), "column " + t.role() + " holds " + perToken + " values per row",
                                t.headDim() > 0 ? heads + " heads x " + t.headDim() + " head_dim = " + heads * t.headDim()
                                        : "a positive multiple of " + heads + " heads");
                    }
                    dim = perToken / heads;
                    buffer = new float[Math.max(1, Math.min(total, (1 << 20) / perToken)) * perToken];
                    w = TensorFiles.create(path, t.role(), total, heads, dim, DType.FLOAT32, false);
                }
                if (values.size() != perToken) {
                    throw new UserError(t.name(), "column " + t.role() + " holds " + values.size() + " values in a row of seq_id " + id
                            + " and " + perToken + " in an earlier one", perToken + " (" + heads + " heads x " + dim + " head_dim) on every row");
                }
                int at = inBuffer * perToken;
                for (int i = 0; i < perToken; i++) {
                    Object x = values.get(i);
                    if (x == null) {
                        throw new UserError(t.name(), "column " + t.role() + " holds a null value in seq_id " + id, "no null values");
                    }
                    buffer[at + i] = t.float16() ? half((byte[]) x) : (Float) x;
                }
                if (++inBuffer * perToken == buffer.length) {
                    w.append(buffer, 0, inBuffer);
                    inBuffer = 0;
                }
            }
            if (rows.hasNext()) {
                Row extra = rows.next();
                throw differs(t, like, extra.isNullAt(0) ? ids[ids.length - 1] : extra.getLong(0));
            }
            if (w == null) throw new IllegalStateException(t.name() + ": no rows to stage");
            if (inBuffer > 0) w.append(buffer, 0, inBuffer);
            w.commit();
            return dim;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            if (w != null) {
                try {
                    w.close();
                } catch (IOException ignored) {
                    // close after a commit does nothing; after a failure it deletes the temporary file
                }
            }
        }
    }
}
