package io.longattn.job.io;

import io.longattn.job.UserError;

import java.io.Closeable;
import java.io.IOException;
import java.io.Serializable;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A float32 .npy output [seq, heads, dim] (or [seq, heads] for LSE) that its writers fill at their final
 * offsets: the driver creates the hidden temporary file with its header at full length, any number of
 * tasks that see the same local (or shared) file system write their rows in place through {@link Target},
 * and the driver commits it atomically through the same {@link Storage} commit as every other output.
 * Rows need no ordering and no transfer through the driver; a retried or speculative task writes the same
 * bytes again.
 */
public final class PlacedNpyOutput implements Closeable {
    private final Storage.OutputFile out;
    private final Target target;
    private boolean finished;

    private PlacedNpyOutput(Storage.OutputFile out, Target target) {
        this.out = out;
        this.target = target;
    }

    /** Whether outputs at this path can be placed: a .npy file on the local file system. */
    public static boolean placeable(String path) {
        return !Storage.isHadoop(path) && TensorFormat.fromPath(path) == TensorFormat.NPY;
    }

    /** O [seq, heads, dim]. */
    public static PlacedNpyOutput create(String path, int seq, int heads, int dim, boolean overwrite) {
        return create(path, new long[]{seq, heads, dim}, overwrite);
    }

    /** LSE [seq, heads]. */
    public static PlacedNpyOutput createLse(String path, int seq, int heads, boolean overwrite) {
        return create(path, new long[]{seq, heads}, overwrite);
    }

    private static PlacedNpyOutput create(String path, long[] shape, boolean overwrite) {
        if (!placeable(path)) throw new IllegalArgumentException(path + ": only local .npy outputs can be placed");
        byte[] header = NpyFormat.header(DType.FLOAT32.npyDescr(), shape);
        int heads = (int) shape[1], dim = shape.length > 2 ? (int) shape[2] : 1;
        long length = header.length + shape[0] * heads * dim * 4L;
        Storage.OutputFile out = Storage.createOutput(path, overwrite, false, length);
        // the header and the full length through a channel of our own: the output's channel counts bytes
        // for appending writers, and rows are placed by other processes anyway
        try (FileChannel ch = FileChannel.open(Path.of(out.tempPath()), StandardOpenOption.WRITE)) {
            Target.writeFully(ch, ByteBuffer.wrap(header), 0);
            // the last byte sets the full length; the rows between stay a hole until their writers fill them
            Target.writeFully(ch, ByteBuffer.wrap(new byte[1]), length - 1);
            return new PlacedNpyOutput(out, new Target(path, out.tempPath(), header.length, (int) shape[0], heads, dim));
        } catch (IOException e) {
            out.abort();
            throw new UserError(path, "cannot be written (" + Storage.oneLine(e) + "); nothing was written",
                    "a writable directory with about " + length + " bytes free", e);
        } catch (RuntimeException e) {
            out.abort();
            throw e;
        }
    }

    /** Where the writers put their rows (serializable: it travels to the executors). */
    public Target target() {
        return target;
    }

    public String path() {
        return out.path;
    }

    /** The temporary file under its commit (for {@link OutputGroup}). */
    Storage.OutputFile output() {
        return out;
    }

    /** Committed by its {@link OutputGroup}: closing leaves the file alone. */
    void markCommitted() {
        finished = true;
    }

    /** Moves the file into place; every row must have been written. */
    public void commit() throws IOException {
        if (finished) throw new IllegalStateException(out.path + ": already committed or closed");
        finished = true;
        out.commit();
    }

    /** Deletes the temporary file unless committed. */
    @Override
    public void close() {
        if (!finished) {
            finished = true;
            out.abort();
        }
    }

    /**
     * The temporary file and its layout: rows [seq][heads][dim] float32 little-endian after a header. Rows are
     * written with positional writes, not a mapping: on a full disk a write fails with an IOException, where
     * a store into a mapped hole would end the JVM with SIGBUS.
     */
    public record Target(String path, String tempPath, long dataOffset, int seq, int heads, int dim) implements Serializable {
        /** Writes rows t0 .. t0+tokens-1, heads head0 .. head0+hg-1 from src [tokens][hg][dim]. */
        public void write(int t0, int tokens, int head0, int hg, float[] src) {
            if (t0 < 0 || tokens < 0 || t0 + tokens > seq || head0 < 0 || head0 + hg > heads || src.length < tokens * hg * dim) {
                throw new IllegalArgumentException(tempPath + ": rows " + t0 + "+" + tokens + " heads " + head0 + "+" + hg
                        + " outside [" + seq + ", " + heads + ", " + dim + "]");
            }
            if (tokens == 0) return;
            long rowBytes = (long) heads * dim * 4;
            int run = hg * dim;
            try (FileChannel ch = FileChannel.open(Path.of(tempPath), StandardOpenOption.WRITE)) {
                if (hg == heads) {
                    ByteBuffer b = ByteBuffer.allocate(tokens * run * 4).order(ByteOrder.LITTLE_ENDIAN);
                    b.asFloatBuffer().put(src, 0, tokens * run);
                    writeFully(ch, b, dataOffset + t0 * rowBytes);
                } else {
                    // a unit holds some of the heads: one write per row, at the unit's heads
                    ByteBuffer b = ByteBuffer.allocate(run * 4).order(ByteOrder.LITTLE_ENDIAN);
                    for (int t = 0; t < tokens; t++) {
                        b.clear();
                        b.asFloatBuffer().put(src, t * run, run);
                        writeFully(ch, b, dataOffset + (t0 + t) * rowBytes + (long) head0 * dim * 4);
                    }
                }
            } catch (IOException e) {
                throw new UserError(path, "cannot be written (" + Storage.oneLine(e) + ") at rows " + t0 + "+" + tokens
                        + "; nothing was written", "enough free space for " + seq * rowBytes + " bytes of rows", e);
            }
        }

        static void writeFully(FileChannel ch, ByteBuffer b, long position) throws IOException {
            while (b.hasRemaining()) position += ch.write(b, position);
        }
    }
}
