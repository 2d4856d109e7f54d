package io.longattn.job.spark;

import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.Output;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.VectorUnloader;
import org.apache.arrow.vector.complex.FixedSizeListVector;
import org.apache.arrow.vector.ipc.WriteChannel;
import org.apache.arrow.vector.ipc.message.ArrowBlock;
import org.apache.arrow.vector.ipc.message.ArrowBuffer;
import org.apache.arrow.vector.ipc.message.ArrowRecordBatch;
import org.apache.arrow.vector.ipc.message.MessageSerializer;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.Channels;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One unit's result block as an Arrow IPC record batch message, held on the receiving side in one Arrow
 * buffer of {@link ResultMemory} (the message's body) until its reader closes it. No schema message travels:
 * the reader knows the schema from the widths that Kryo carries beside the block ({@link UnitResultSerializer}).
 * Schema, all float32 and non-nullable:
 * <ul>
 * <li>finished unit, one row per query token: {@code o} FixedSizeList&lt;float32, hg * dv&gt; (the rows of the
 * group's hg heads, head-major within a token, as in the output) and {@code lse} FixedSizeList&lt;float32, hg&gt;;</li>
 * <li>split-KV partial summary, one row per (token, head) row of the running state: {@code max} float32
 * (running max), {@code sum} float32 (weight sum) and {@code acc} FixedSizeList&lt;float32, dv&gt; (accumulator).</li>
 * </ul>
 * A width of 0 stands for a plain float32 column. For one (schema, rows) every message has the same metadata and
 * validity buffers and differs only in its data buffers, so Arrow's writer encodes a block of that shape once
 * ({@link Layout}); each block then is that metadata, and that body with the unit's floats in its data buffers.
 */
final class ResultBatch implements AutoCloseable {
    static final List<String> FINISHED = List.of("o", "lse");
    static final List<String> PARTIAL = List.of("max", "sum", "acc");
    private static final Map<List<Integer>, Layout> LAYOUTS = new ConcurrentHashMap<>();

    private final Layout layout;
    private ArrowBuf body;

    private ResultBatch(Layout layout, ArrowBuf body) {
        this.layout = layout;
        this.body = body;
    }

    /** Arrow's encoding of a block of one shape: everything but the data buffers' bytes, and where those go. */
    static final class Layout {
        /** Continuation marker, metadata length, the RecordBatch metadata and its padding. */
        final byte[] prefix;
        /** The body with zero data: validity buffers set, padding. */
        final byte[] body;
        final int[] dataOffset;
        final int[] dataBytes;

        private Layout(byte[] prefix, byte[] body, int[] dataOffset, int[] dataBytes) {
            this.prefix = prefix;
            this.body = body;
            this.dataOffset = dataOffset;
            this.dataBytes = dataBytes;
        }
    }

    static Layout layout(boolean partial, int rows, int[] widths) {
        List<Integer> key = new ArrayList<>(widths.length + 2);
        key.add(partial ? 1 : 0);
        key.add(rows);
        for (int w : widths) key.add(w);
        return LAYOUTS.computeIfAbsent(key, k -> encodeLayout(partial ? PARTIAL : FINISHED, rows, widths));
    }

    static Schema schema(List<String> names, int[] widths) {
        FieldType f32 = FieldType.notNullable(new ArrowType.FloatingPoint(FloatingPointPrecision.SINGLE));
        List<Field> fields = new ArrayList<>(names.size());
        for (int c = 0; c < names.size(); c++) {
            fields.add(widths[c] == 0 ? new Field(names.get(c), f32, null)
                    : new Field(names.get(c), FieldType.notNullable(new ArrowType.FixedSizeList(widths[c])),
                    List.of(new Field("item", f32, null))));
        }
        return new Schema(fields);
    }

    private static Layout encodeLayout(List<String> names, int rows, int[] widths) {
        try (VectorSchemaRoot root = VectorSchemaRoot.create(schema(names, widths), ResultMemory.allocator())) {
            for (int c = 0; c < names.size(); c++) {
                FieldVector v = root.getVector(c);
                int n = rows * Math.max(1, widths[c]);
                if (v instanceof FixedSizeListVector list) {
                    list.setInitialCapacity(rows);
                    list.allocateNew();
                    list.getValidityBuffer().setOne(0, (rows + 7) / 8);
                    list.setValueCount(rows);
                }
                Float4Vector data = data(v);
                data.allocateNew(n);
                data.getValidityBuffer().setOne(0, (n + 7) / 8);
                data.setValueCount(n);
            }
            root.setRowCount(rows);
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            ArrowBlock block;
            List<ArrowBuffer> buffers;
            try (ArrowRecordBatch batch = new VectorUnloader(root).getRecordBatch()) {
                block = MessageSerializer.serialize(new WriteChannel(Channels.newChannel(bytes)), batch);
                buffers = batch.getBuffersLayout();
            }
            byte[] all = bytes.toByteArray();
            int meta = block.getMetadataLength();
            int[] offset = new int[names.size()], length = new int[names.size()];
            // buffers per column: a FixedSizeList's validity, then its child's validity and data; a float32's validity and data
            for (int c = 0, b = 0; c < names.size(); c++) {
                b += widths[c] == 0 ? 1 : 2;
                offset[c] = (int) buffers.get(b).getOffset();
                length[c] = (int) buffers.get(b).getSize();
                b++;
            }
            return new Layout(Arrays.copyOfRange(all, 0, meta), Arrays.copyOfRange(all, meta, meta + (int) block.getBodyLength()),
                    offset, length);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Float4Vector data(FieldVector v) {
        return v instanceof FixedSizeListVector list ? (Float4Vector) list.getDataVector() : (Float4Vector) v;
    }

    /**
     * Writes computed columns (column c from columns[c] at offsets[c]) as one record batch message of the layout,
     * the floats turned little-endian through scratch.
     */
    static void write(Output out, Layout layout, float[][] columns, int[] offsets, byte[] scratch) {
        out.writeBytes(layout.prefix);
        ByteBuffer le = ByteBuffer.wrap(scratch).order(ByteOrder.LITTLE_ENDIAN);
        int at = 0;
        for (int c = 0; c < columns.length; c++) {
            out.writeBytes(layout.body, at, layout.dataOffset[c] - at);
            int n = layout.dataBytes[c] / 4, from = offsets[c];
            for (int done = 0; done < n; ) {
                int m = Math.min(n - done, scratch.length / 4);
                le.clear();
                le.asFloatBuffer().put(columns[c], from + done, m);
                out.writeBytes(scratch, 0, m * 4);
                done += m;
            }
            at = layout.dataOffset[c] + layout.dataBytes[c];
        }
        out.writeBytes(layout.body, at, layout.body.length - at);
    }

    /** Writes this block again as it arrived (a result read in this JVM and sent on). */
    void write(Output out, byte[] scratch) {
        out.writeBytes(layout.prefix);
        for (long at = 0, n = layout.body.length; at < n; ) {
            int m = (int) Math.min(n - at, scratch.length);
            body.getBytes(at, scratch, 0, m);
            out.writeBytes(scratch, 0, m);
            at += m;
        }
    }

    /** Reads a block of the layout into an Arrow buffer the caller closes. */
    static ResultBatch read(Input in, Layout layout, byte[] scratch) throws IOException {
        byte[] prefix = in.readBytes(layout.prefix.length);
        if (!Arrays.equals(prefix, layout.prefix)) throw new IOException("result block's record batch metadata is not of its shape");
        ArrowBuf body = ResultMemory.allocator().buffer(layout.body.length);
        try {
            for (int at = 0, n = layout.body.length; at < n; ) {
                int m = Math.min(n - at, scratch.length);
                in.readBytes(scratch, 0, m);
                body.setBytes(at, scratch, 0, m);
                at += m;
            }
            return new ResultBatch(layout, body);
        } catch (RuntimeException e) {
            body.close();
            throw e;
        }
    }

    /** Column c's float32 values, [rows][width] little-endian, as a view of the Arrow buffer (no copy). */
    ByteBuffer column(int c) {
        return body.nioBuffer(layout.dataOffset[c], layout.dataBytes[c]).order(ByteOrder.LITTLE_ENDIAN);
    }

    @Override
    public void close() {
        if (body != null) {
            body.close();
            body = null;
        }
    }
}
