package io.longattn.job.io;

import io.longattn.job.UserError;

import java.io.Closeable;
import java.io.IOException;

/**
 * Random-access reader of a tensor's rows as float32 (float16 storage is converted on load).
 * Not thread-safe: one reader per thread. Open one with {@link TensorFiles#open(TensorHeader)}.
 */
public interface TensorReader extends Closeable {
    /** The header this reader was opened from. */
    TensorHeader header();

    /**
     * Fills {@code dst[dstOffset ..]} with rows [start, start + count): count * heads * dim floats,
     * token-major ([count][heads][dim]).
     *
     * @throws IndexOutOfBoundsException when the rows are outside [0, seq) or dst is too small
     * @throws IOException               on a read failure
     * @throws UserError                 when the file turns out to be shorter or different than inspected
     */
    void readRows(long start, int count, float[] dst, int dstOffset) throws IOException;
}
