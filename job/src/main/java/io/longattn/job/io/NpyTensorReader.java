package io.longattn.job.io;

import io.longattn.job.UserError;


import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** Reads rows of a .npy tensor with positional reads through one reusable direct buffer (at most 4 MiB). */
final class NpyTensorReader implements TensorReader {
    static final int MAX_BUFFER = 4 << 20;

    private final TensorHeader h;
    private final Storage.InputFile in;
    private ByteBuffer buf;
    private short[] scratch;

    NpyTensorReader(TensorHeader h, Storage.InputFile in) {
        this.h = h;
        this.in = in;
        long need = h.dataOffset() + h.dataBytes();
        if (in.size() < need) {
            Storage.closeQuietly(in);
            throw new UserError(h.path(), "holds " + Math.max(0, in.size() - h.dataOffset()) + " bytes of data, expected "
                    + h.dataBytes() + " for shape " + h.shapeString() + " " + h.dtype().label()
                    + " (the file changed since it was inspected)", "an unchanged input file");
        }
    }

    @Override
    public TensorHeader header() {
        return h;
    }

    @Override
    public void readRows(long start, int count, float[] dst, int dstOffset) throws IOException {
        TensorFiles.checkRange(h, start, count, dst, dstOffset);
        if (count == 0) return;
        int esize = h.dtype().bytes();
        long elements = (long) count * h.elementsPerToken();
        long pos = h.dataOffset() + start * h.bytesPerToken();
        ensureBuffer(elements * esize);
        int perChunk = buf.capacity() / esize;
        int out = dstOffset;
        long left = elements;
        while (left > 0) {
            int n = (int) Math.min(left, perChunk);
            buf.clear().limit(n * esize);
            try {
                in.readFully(pos, buf);
            } catch (EOFException e) {
                throw new UserError(h.path(), "ends before row " + (start + count) + " (" + Storage.oneLine(e) + ")",
                        "a complete, unchanged input file");
            }
            buf.flip();
            if (esize == 4) {
                buf.asFloatBuffer().get(dst, out, n);
            } else {
                if (scratch == null) scratch = new short[Fp16.SCRATCH];
                Fp16.toFloat(buf.asShortBuffer(), n, dst, out, scratch);
            }
            out += n;
            pos += (long) n * esize;
            left -= n;
        }
    }

    private void ensureBuffer(long bytes) {
        if (buf != null && (buf.capacity() >= bytes || buf.capacity() == MAX_BUFFER)) return;
        int cap = (int) Math.min(MAX_BUFFER, Math.max(64 << 10, Long.highestOneBit(Math.max(1, bytes - 1)) << 1));
        buf = ByteBuffer.allocateDirect(cap).order(ByteOrder.LITTLE_ENDIAN);
    }

    @Override
    public void close() throws IOException {
        buf = null;
        in.close();
    }
}
