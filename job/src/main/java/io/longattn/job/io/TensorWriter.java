package io.longattn.job.io;

import io.longattn.job.UserError;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * Writes a tensor in token order into a hidden temporary sibling of the final path; {@link #commit()}
 * renames it into place atomically. {@link #close()} without a successful commit deletes the temporary
 * file, so nothing ever appears at the final path unless every row was written.
 * Create one with {@link TensorFiles#create} or {@link TensorFiles#createLse}.
 */
public interface TensorWriter extends Closeable {
    /** The final path. */
    String path();

    /** Rows appended so far. */
    long rowsWritten();

    /**
     * Appends {@code tokens} rows from {@code src[offset ..]} ([tokens][heads][dim] float32).
     * @throws IllegalStateException when more rows than seq would be written, or after commit/close
     */
    void append(float[] src, int offset, int tokens) throws IOException;

    /**
     * Appends {@code tokens} rows gathered from parts: each row is row t of parts[0], then of parts[1], ...,
     * where each part holds [tokens][partFloats] little-endian float32 from its position (the part's position
     * is left as it was). Result blocks reach the file this way straight from their Arrow buffers.
     * @throws IllegalArgumentException when the parts do not make up a row
     */
    void appendParts(ByteBuffer[] parts, int partFloats, int tokens) throws IOException;

    /**
     * Writes the file's last bytes and makes them durable, still under the temporary name: the first half
     * of {@link #commit()}, for committing several outputs as one ({@link OutputGroup}).
     * @throws IllegalStateException when fewer (or more) than seq rows were written; the temporary file is deleted
     */
    void finish() throws IOException;

    /**
     * Finishes the file and moves it to its final path atomically.
     * @throws IllegalStateException when fewer (or more) than seq rows were written; the temporary file is deleted
     * @throws UserError when the final path appeared meanwhile and overwrite is off
     */
    void commit() throws IOException;

    /** Aborts (deletes the temporary file) unless committed; idempotent. */
    @Override
    void close() throws IOException;
}
