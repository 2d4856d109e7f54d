package io.longattn.job.io;

import io.longattn.kernels.Half;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BaseFixedWidthVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.complex.FixedSizeListVector;
import org.apache.arrow.vector.dictionary.DictionaryProvider;
import org.apache.arrow.vector.ipc.ArrowFileWriter;
import org.apache.arrow.vector.ipc.message.IpcOption;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.ShortBuffer;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes an Arrow IPC file of one FixedSizeList column, one record batch per append (split at
 * {@link #BATCH_BYTES}), reusing one set of vectors for every batch; batches LZ4_FRAME or ZSTD compressed on request.
 */
final class ArrowTensorWriter implements TensorWriter {
    /** Largest record batch body written, in bytes of data. */
    static final int BATCH_BYTES = 8 << 20;

    private final Storage.OutputFile out;
    private final int seq;
    private final int listSize;
    private final DType dtype;
    private final int capRows;
    private final RootAllocator alloc;
    private final VectorSchemaRoot root;
    private final BaseFixedWidthVector child;
    private final ArrowFileWriter writer;
    private long rows;
    private boolean finished;

    ArrowTensorWriter(Storage.OutputFile out, String column, int seq, int heads, int dim, DType dtype, boolean lse,
                      Compression compression) throws IOException {
        this.out = out;
        this.seq = seq;
        this.dtype = dtype;
        this.listSize = lse ? heads : heads * dim;
        this.capRows = (int) Math.max(1, Math.min(seq, BATCH_BYTES / ((long) listSize * dtype.bytes())));
        FloatingPointPrecision precision = dtype == DType.FLOAT16 ? FloatingPointPrecision.HALF : FloatingPointPrecision.SINGLE;
        Field item = new Field("item", FieldType.notNullable(new ArrowType.FloatingPoint(precision)), null);
        Field field = new Field(column, FieldType.notNullable(new ArrowType.FixedSizeList(listSize)), List.of(item));
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put(ArrowFormat.META_HEADS, Integer.toString(heads));
        if (!lse) meta.put(ArrowFormat.META_HEAD_DIM, Integer.toString(dim));
        Schema schema = new Schema(List.of(field), meta);
        long dataBytes = (long) capRows * listSize * dtype.bytes();
        this.alloc = new RootAllocator(2 * dataBytes + (16 << 20));
        VectorSchemaRoot r = null;
        try {
            r = VectorSchemaRoot.create(schema, alloc);
            FixedSizeListVector vec = (FixedSizeListVector) r.getVector(0);
            vec.setInitialCapacity(capRows);
            vec.allocateNew();
            BaseFixedWidthVector c = (BaseFixedWidthVector) vec.getDataVector();
            if (c.getValueCapacity() < capRows * listSize) {
                c.allocateNew(capRows * listSize);
            }
            // every row and element is valid; set the validity bits once for the whole capacity
            ArrowBuf lv = vec.getValidityBuffer();
            lv.setOne(0, lv.capacity());
            ArrowBuf cv = c.getValidityBuffer();
            cv.setOne(0, cv.capacity());
            this.root = r;
            this.child = c;
            DictionaryProvider none = new DictionaryProvider.MapDictionaryProvider();
            this.writer = compression == Compression.NONE ? new ArrowFileWriter(r, none, out.channel())
                    : new ArrowFileWriter(r, none, out.channel(), null, IpcOption.DEFAULT, Compression.factory(), compression.codec());
            writer.start();
        } catch (IOException | RuntimeException e) {
            if (r != null) r.close();
            alloc.close();
            throw e;
        }
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
        AppendCheck.check(out.path, finished, rows, seq, src, offset, tokens, listSize);
        int in = offset;
        int left = tokens;
        while (left > 0) {
            int m = Math.min(left, capRows);
            int elems = m * listSize;
            ArrowBuf data = child.getDataBuffer();
            ByteBuffer bb = data.nioBuffer(0, elems * dtype.bytes()).order(ByteOrder.LITTLE_ENDIAN);
            if (dtype == DType.FLOAT32) {
                bb.asFloatBuffer().put(src, in, elems);
            } else {
                ShortBuffer sb = bb.asShortBuffer();
                for (int i = 0; i < elems; i++) sb.put(i, Half.fromFloat(src[in + i]));
            }
            root.setRowCount(m);
            writer.writeBatch();
            in += elems;
            left -= m;
            rows += m;
        }
    }

    @Override
    public void appendParts(ByteBuffer[] parts, int partFloats, int tokens) throws IOException {
        AppendCheck.checkParts(out.path, finished, rows, seq, parts, partFloats, tokens, listSize);
        int partBytes = partFloats * 4;
        int done = 0;
        while (done < tokens) {
            int m = Math.min(tokens - done, capRows);
            ByteBuffer bb = child.getDataBuffer().nioBuffer(0, m * listSize * dtype.bytes()).order(ByteOrder.LITTLE_ENDIAN);
            int at = 0;
            for (int t = done; t < done + m; t++) {
                for (ByteBuffer part : parts) {
                    int from = part.position() + t * partBytes;
                    if (dtype == DType.FLOAT32) {
                        bb.put(at, part, from, partBytes);
                        at += partBytes;
                    } else {
                        for (int i = 0; i < partFloats; i++, at += 2) bb.putShort(at, Half.fromFloat(part.getFloat(from + 4 * i)));
                    }
                }
            }
            root.setRowCount(m);
            writer.writeBatch();
            done += m;
            rows += m;
        }
    }

    private boolean ended;

    @Override
    public void finish() throws IOException {
        if (finished) throw new IllegalStateException(out.path + ": already committed or closed");
        if (ended) return;
        boolean ok = false;
        try {
            if (rows != seq) {
                throw new IllegalStateException(out.path + ": " + rows + " rows written, expected " + seq + "; nothing was written");
            }
            writer.end();
            out.prepare();
            ended = true;
            ok = true;
        } finally {
            if (!ok) {
                finished = true;
                out.abort();
                release();
            }
        }
    }

    @Override
    public void commit() throws IOException {
        finish();
        finished = true;
        try {
            out.commit();
        } finally {
            release();
        }
    }

    /** The file being written (for {@link OutputGroup}). */
    Storage.OutputFile output() {
        return out;
    }

    /** Committed by an {@link OutputGroup}: only the Arrow buffers are left to free. */
    void markCommitted() {
        if (finished) return;
        finished = true;
        release();
    }

    private void release() {
        try {
            root.close();
        } finally {
            alloc.close();
        }
    }

    @Override
    public void close() {
        if (!finished) {
            finished = true;
            out.abort();
            release();
        }
    }
}
