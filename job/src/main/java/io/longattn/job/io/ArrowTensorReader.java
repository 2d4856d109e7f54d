package io.longattn.job.io;

import io.longattn.job.UserError;

import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BaseFixedWidthVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.complex.FixedSizeListVector;
import org.apache.arrow.vector.ipc.ArrowFileReader;
import org.apache.arrow.vector.ipc.message.ArrowBlock;
import org.apache.arrow.vector.types.pojo.Field;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

/**
 * Reads rows of an Arrow IPC file: loads only the record batches that cover the requested rows and keeps the
 * current one loaded, so sequential chunked reads load each batch once; LZ4_FRAME and ZSTD batches are
 * decompressed by Arrow's compression module. Memory: one batch, bounded by an allocator of its own (limit:
 * twice the largest batch body and its decompressed column, plus 16 MiB), closed with the reader.
 */
final class ArrowTensorReader implements TensorReader {
    private final TensorHeader h;
    private final Storage.InputFile in;
    private final RootAllocator alloc;
    private final ArrowFileReader reader;
    private final List<ArrowBlock> blocks;
    private final VectorSchemaRoot root;
    private final int column;
    private int loaded = -1;
    private ArrowBuf data;
    private short[] scratch;
    private boolean closed;

    ArrowTensorReader(TensorHeader h, Storage.InputFile in) {
        this.h = h;
        this.in = in;
        this.alloc = new RootAllocator(Long.MAX_VALUE);
        this.reader = new ArrowFileReader(in.channel(), alloc, Compression.factory());
        try {
            this.root = reader.getVectorSchemaRoot();
            this.blocks = reader.getRecordBlocks();
        } catch (IOException | RuntimeException e) {
            closeAll();
            throw ArrowFormat.corrupt(h.path(), "its footer or schema cannot be read: " + Storage.oneLine(e), e);
        }
        if (blocks.size() != h.batchCount()) {
            closeAll();
            throw changed("it has " + blocks.size() + " record batches, " + h.batchCount() + " when inspected");
        }
        int col = -1;
        List<Field> fields = root.getSchema().getFields();
        for (int i = 0; i < fields.size(); i++) {
            if (fields.get(i).getName().equals(h.column())) {
                col = i;
                break;
            }
        }
        if (col < 0) {
            closeAll();
            throw changed("it has no column " + h.column() + " any more");
        }
        this.column = col;
        long maxBody = 0, maxRows = 0;
        for (ArrowBlock b : blocks) maxBody = Math.max(maxBody, b.getBodyLength() + b.getMetadataLength());
        for (int b = 0; b < h.batchCount(); b++) maxRows = Math.max(maxRows, h.batchRowStart(b + 1) - h.batchRowStart(b));
        // a compressed batch is read whole, then its column is decompressed beside it
        long columnBytes = maxRows * h.elementsPerToken() * h.dtype().bytes();
        alloc.setLimit(2 * (maxBody + columnBytes) + (16 << 20));
    }

    private UserError changed(String what) {
        return new UserError(h.path(), "changed since it was inspected (" + what + ")", "an unchanged input file");
    }

    @Override
    public TensorHeader header() {
        return h;
    }

    @Override
    public void readRows(long start, int count, float[] dst, int dstOffset) throws IOException {
        if (closed) throw new IllegalStateException(h.path() + ": reader is closed");
        TensorFiles.checkRange(h, start, count, dst, dstOffset);
        int epr = h.elementsPerToken();
        long row = start;
        int out = dstOffset;
        int left = count;
        while (left > 0) {
            int b = batchOf(row);
            load(b);
            long b0 = h.batchRowStart(b);
            int n = (int) Math.min(left, h.batchRowStart(b + 1) - row);
            copy((row - b0) * epr, (long) n * epr, dst, out);
            row += n;
            out += n * epr;
            left -= n;
        }
    }

    /** The batch holding row: the last batch starting at or before it (empty batches are skipped this way). */
    private int batchOf(long row) {
        if (loaded >= 0 && h.batchRowStart(loaded) <= row && row < h.batchRowStart(loaded + 1)) return loaded;
        int lo = 0, hi = h.batchCount() - 1;
        while (lo < hi) {
            int mid = (lo + hi + 1) >>> 1;
            if (h.batchRowStart(mid) <= row) lo = mid;
            else hi = mid - 1;
        }
        return lo;
    }

    private void load(int b) throws IOException {
        if (b == loaded) return;
        loaded = -1;
        data = null;
        try {
            if (!reader.loadRecordBatch(blocks.get(b))) throw new IOException("record batch " + b + " is missing");
        } catch (IOException e) {
            throw new IOException(h.path() + ": reading record batch " + b + " failed: " + Storage.oneLine(e), e);
        } catch (RuntimeException e) {
            throw ArrowFormat.corrupt(h.path(), "record batch " + b + " cannot be loaded: " + Storage.oneLine(e), e);
        }
        long rows = h.batchRowStart(b + 1) - h.batchRowStart(b);
        if (root.getRowCount() != rows) {
            throw changed("record batch " + b + " has " + root.getRowCount() + " rows, " + rows + " when inspected");
        }
        FieldVector v = root.getFieldVectors().get(column);
        if (!(v instanceof FixedSizeListVector)) throw changed("column " + h.column() + " has another type");
        FieldVector child = ((FixedSizeListVector) v).getDataVector();
        if (!(child instanceof BaseFixedWidthVector) || ((BaseFixedWidthVector) child).getTypeWidth() != h.dtype().bytes()) {
            throw changed("column " + h.column() + " has another type");
        }
        data = child.getDataBuffer();
        loaded = b;
    }

    private void copy(long element, long n, float[] dst, int out) {
        int esize = h.dtype().bytes();
        int maxChunk = (1 << 30) / esize;
        long e = element;
        long left = n;
        int o = out;
        while (left > 0) {
            int m = (int) Math.min(left, maxChunk);
            ByteBuffer bb = data.nioBuffer(e * esize, m * esize).order(ByteOrder.LITTLE_ENDIAN);
            if (esize == 4) {
                bb.asFloatBuffer().get(dst, o, m);
            } else {
                if (scratch == null) scratch = new short[Fp16.SCRATCH];
                Fp16.toFloat(bb.asShortBuffer(), m, dst, o, scratch);
            }
            e += m;
            o += m;
            left -= m;
        }
    }

    private void closeAll() {
        try {
            reader.close();
        } catch (IOException | RuntimeException ignored) {
            // best effort
        }
        Storage.closeQuietly(in);
        closeAllocator();
    }

    /**
     * Closes the allocator unless a failed load left buffers Arrow no longer references (a corrupt batch that
     * got past the checks): closing would log the leak as an error before the user's one line. The few bytes
     * stay with the allocator until the JVM ends.
     */
    private void closeAllocator() {
        if (alloc.getAllocatedMemory() == 0) alloc.close();
    }

    @Override
    public void close() throws IOException {
        if (closed) return;
        closed = true;
        data = null;
        try {
            reader.close();
        } finally {
            Storage.closeQuietly(in);
            closeAllocator();
        }
    }
}
