package io.longattn.job.io;

import io.longattn.kernels.Half;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.ShortBuffer;
import java.nio.channels.WritableByteChannel;

/** Writes a .npy file exactly as numpy.save would (version 1.0 header), converting float32 rows to the stored dtype. */
final class NpyTensorWriter implements TensorWriter {
    private static final int MAX_BUFFER = 4 << 20;

    private final Storage.OutputFile out;
    private final WritableByteChannel ch;
    private final DType dtype;
    private final int seq;
    private final int perToken;
    private final ByteBuffer buf;
    private long rows;
    private boolean finished;

    NpyTensorWriter(Storage.OutputFile out, long[] shape, DType dtype) throws IOException {
        this(out, shape, 1, dtype);
    }

    /** @param tokenDims leading dimensions that number the tokens: 1, or 2 for a batch [B, S, ...] (B * S rows) */
    NpyTensorWriter(Storage.OutputFile out, long[] shape, int tokenDims, DType dtype) throws IOException {
        this.out = out;
        this.ch = out.channel();
        this.dtype = dtype;
        long tokens = 1;
        for (int i = 0; i < tokenDims; i++) tokens *= shape[i];
        this.seq = Math.toIntExact(tokens);
        long pt = 1;
        for (int i = tokenDims; i < shape.length; i++) pt *= shape[i];
        this.perToken = (int) pt;
        long bytes = (long) seq * perToken * dtype.bytes();
        this.buf = ByteBuffer.allocateDirect((int) Math.max(64, Math.min(MAX_BUFFER, bytes))).order(ByteOrder.LITTLE_ENDIAN);
        writeFully(ByteBuffer.wrap(NpyFormat.header(dtype.npyDescr(), shape)));
    }

    @Override
    public String path() {
        return out.path;
    }

    @Override
    public long rowsWritten() {
        return rows;
    }

    @Override
    public void append(float[] src, int offset, int tokens) throws IOException {
        long n = AppendCheck.check(out.path, finished, rows, seq, src, offset, tokens, perToken);
        int esize = dtype.bytes();
        int perChunk = buf.capacity() / esize;
        int in = offset;
        long left = n;
        while (left > 0) {
            int m = (int) Math.min(left, perChunk);
            buf.clear();
            if (esize == 4) {
                buf.asFloatBuffer().put(src, in, m);
            } else {
                ShortBuffer sb = buf.asShortBuffer();
                for (int i = 0; i < m; i++) sb.put(i, Half.fromFloat(src[in + i]));
            }
            buf.limit(m * esize);
            writeFully(buf);
            in += m;
            left -= m;
        }
        rows += tokens;
    }

    @Override
    public void appendParts(ByteBuffer[] parts, int partFloats, int tokens) throws IOException {
        long n = AppendCheck.checkParts(out.path, finished, rows, seq, parts, partFloats, tokens, perToken);
        if (dtype == DType.FLOAT32 && parts.length == 1) {
            // one group holds every head: the block is the file's rows as they are
            ByteBuffer b = parts[0].duplicate();
            b.limit(b.position() + (int) n * 4);
            writeFully(b);
        } else {
            // the groups' rows interleave: gathered into the write buffer, one part's row after another's
            buf.clear();
            for (int t = 0; t < tokens; t++) {
                for (ByteBuffer part : parts) {
                    int from = part.position() + t * partFloats * 4;
                    if (dtype == DType.FLOAT32) {
                        putFloats(part, from, partFloats * 4);
                    } else {
                        for (int i = 0; i < partFloats; i++) {
                            if (buf.remaining() < 2) flush();
                            buf.putShort(Half.fromFloat(part.getFloat(from + 4 * i)));
                        }
                    }
                }
            }
            flush();
        }
        rows += tokens;
    }

    /** Copies bytes [from, from + length) of part into the write buffer, writing it out whenever it fills. */
    private void putFloats(ByteBuffer part, int from, int length) throws IOException {
        int at = from, end = from + length;
        while (at < end) {
            if (!buf.hasRemaining()) flush();
            int m = Math.min(end - at, buf.remaining());
            buf.put(buf.position(), part, at, m);
            buf.position(buf.position() + m);
            at += m;
        }
    }

    private void flush() throws IOException {
        buf.flip();
        writeFully(buf);
        buf.clear();
    }

    private void writeFully(ByteBuffer b) throws IOException {
        while (b.hasRemaining()) ch.write(b);
    }

    @Override
    public void finish() throws IOException {
        if (finished) throw new IllegalStateException(out.path + ": already committed or closed");
        if (rows != seq) {
            finished = true;
            out.abort();
            throw new IllegalStateException(out.path + ": " + rows + " rows written, expected " + seq + "; nothing was written");
        }
        try {
            out.prepare();
        } catch (IOException | RuntimeException e) {
            finished = true;
            out.abort();
            throw e;
        }
    }

    @Override
    public void commit() throws IOException {
        finish();
        finished = true;
        out.commit();
    }

    /** The file being written (for {@link OutputGroup}); finished means committed or aborted. */
    Storage.OutputFile output() {
        return out;
    }

    void markCommitted() {
        finished = true;
    }

    @Override
    public void close() {
        if (!finished) {
            finished = true;
            out.abort();
        }
    }
}
