package io.longattn.job.parquet;

import io.longattn.job.io.TensorFiles;
import io.longattn.job.io.TensorHeader;
import io.longattn.job.io.TensorReader;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Arrays;
import java.util.Iterator;
import java.util.NoSuchElementException;

/**
 * An executor's slice [from, to) of the output rows: O (and LSE) read from the staged files a block at a time,
 * each row tagged with its seq_id and its index in the sequence.
 */
final class OutputRows implements FlatMapFunction<int[], Row> {
    private static final long serialVersionUID = 1L;
    private static final int BLOCK_ROWS = 1024;

    private final TensorHeader o;
    private final TensorHeader lse;
    private final long[] ids;
    private final int[] cuQ;

    OutputRows(TensorHeader o, TensorHeader lse, long[] ids, int[] cuQ) {
        this.o = o;
        this.lse = lse;
        this.ids = ids;
        this.cuQ = cuQ;
    }

    @Override
    public Iterator<Row> call(int[] slice) {
        int from = slice[0], to = slice[1];
        int perO = o.elementsPerToken(), perLse = lse == null ? 0 : lse.elementsPerToken();
        TensorReader oIn = TensorFiles.open(o);
        TensorReader lseIn = lse == null ? null : TensorFiles.open(lse);
        float[] oBlock = new float[BLOCK_ROWS * perO], lseBlock = new float[BLOCK_ROWS * Math.max(1, perLse)];
        return new Iterator<>() {
            int row = from, blockStart = from, blockEnd = from;
            // the last sequence whose first row is at or before row
            int seq = Math.max(0, upperBound(cuQ, from) - 1);

            @Override
            public boolean hasNext() {
                if (row < to) return true;
                close();
                return false;
            }

            @Override
            public Row next() {
                if (row >= to) throw new NoSuchElementException();
                try {
                    if (row == blockEnd) {
                        blockStart = row;
                        blockEnd = Math.min(to, row + BLOCK_ROWS);
                        oIn.readRows(blockStart, blockEnd - blockStart, oBlock, 0);
                        if (lseIn != null) lseIn.readRows(blockStart, blockEnd - blockStart, lseBlock, 0);
                    }
                } catch (IOException e) {
                    close();
                    throw new UncheckedIOException(e);
                }
                while (cuQ[seq + 1] <= row) seq++;
                int at = row - blockStart;
                float[] out = Arrays.copyOfRange(oBlock, at * perO, (at + 1) * perO);
                Row r = lseIn == null ? RowFactory.create(ids[seq], (long) (row - cuQ[seq]), out)
                        : RowFactory.create(ids[seq], (long) (row - cuQ[seq]), out, Arrays.copyOfRange(lseBlock, at * perLse, (at + 1) * perLse));
                row++;
                return r;
            }

            private void close() {
                try {
                    oIn.close();
                    if (lseIn != null) lseIn.close();
                } catch (IOException ignored) {
                    // read-only files: nothing is lost
                }
            }
        };
    }

    /** The first index whose offset is greater than x. */
    private static int upperBound(int[] cu, int x) {
        int lo = 0, hi = cu.length;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (cu[mid] <= x) lo = mid + 1;
            else hi = mid;
        }
        return lo;
    }
}
