package io.longattn.job.spark;

import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.VectorLoader;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.VectorUnloader;
import org.apache.arrow.vector.complex.FixedSizeListVector;
import org.apache.arrow.vector.ipc.ReadChannel;
import org.apache.arrow.vector.ipc.WriteChannel;
import org.apache.arrow.vector.ipc.message.ArrowRecordBatch;
import org.apache.arrow.vector.ipc.message.MessageSerializer;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * One unit's result block as an Arrow record batch, held in {@link ResultMemory} until its reader closes it.
 * Between JVMs it is one Arrow IPC record batch message (no schema message: the reader rebuilds the schema
 * from the widths that travel beside it in Kryo, see {@link UnitResultSerializer}). Schema, all float32 and
 * non-nullable:
 * <ul>
 * <li>finished unit, one row per query token: {@code o} FixedSizeList&lt;float32, hg * dv&gt; (the rows of the
 * group's hg heads, head-major within a token, as in the output) and {@code lse} FixedSizeList&lt;float32, hg&gt;;</li>
 * <li>split-KV partial summary, one row per (token, head) row of the running state: {@code max} float32
 * (running max), {@code sum} float32 (weight sum) and {@code acc} FixedSizeList&lt;float32, dv&gt; (accumulator).</li>
 * </ul>
 * A width of 0 stands for a plain float32 column.
 */
final class ResultBatch implements AutoCloseable {
    static final List<String> FINISHED = List.of("o", "lse");
    static final List<String> PARTIAL = List.of("max", "sum", "acc");

    private final VectorSchemaRoot root;

    private ResultBatch(VectorSchemaRoot root) {
        this.root = root;
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

    /**
     * Writes columns [rows][width] (column c from columns[c] at offsets[c]) as one record batch message, through
     * Arrow buffers freed before it returns.
     */
    static void write(WriteChannel out, List<String> names, int[] widths, int rows, float[][] columns, int[] offsets)
            throws IOException {
        try (VectorSchemaRoot root = VectorSchemaRoot.create(schema(names, widths), ResultMemory.allocator())) {
            for (int c = 0; c < columns.length; c++) {
                FieldVector v = root.getVector(c);
                int n = rows * Math.max(1, widths[c]);
                Float4Vector data = v instanceof FixedSizeListVector list ? (Float4Vector) list.getDataVector() : (Float4Vector) v;
                if (v instanceof FixedSizeListVector list) {
                    list.setInitialCapacity(rows);
                    list.allocateNew();
                    setAllValid(list.getValidityBuffer(), rows);
                    list.setValueCount(rows);
                }
                data.allocateNew(n);
                setAllValid(data.getValidityBuffer(), n);
                data.getDataBuffer().nioBuffer(0, n * 4).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().put(columns[c], offsets[c], n);
                data.setValueCount(n);
            }
            root.setRowCount(rows);
            write(out, root);
        }
    }

    /** Writes this batch again (a result read in this JVM and sent on). */
    void write(WriteChannel out) throws IOException {
        write(out, root);
    }

    private static void write(WriteChannel out, VectorSchemaRoot root) throws IOException {
        try (ArrowRecordBatch batch = new VectorUnloader(root).getRecordBatch()) {
            MessageSerializer.serialize(out, batch);
        }
    }

    private static void setAllValid(ArrowBuf validity, int n) {
        validity.setOne(0, (n + 7) / 8);
    }

    /** Reads a record batch message written by {@link #write} into Arrow buffers the caller closes. */
    static ResultBatch read(ReadChannel in, List<String> names, int[] widths) throws IOException {
        BufferAllocator alloc = ResultMemory.allocator();
        VectorSchemaRoot root = VectorSchemaRoot.create(schema(names, widths), alloc);
        try (ArrowRecordBatch batch = MessageSerializer.deserializeRecordBatch(in, alloc)) {
            if (batch == null) throw new IOException("result block ended before its record batch");
            new VectorLoader(root).load(batch);
            return new ResultBatch(root);
        } catch (IOException | RuntimeException e) {
            root.close();
            throw e;
        }
    }

    int rows() {
        return root.getRowCount();
    }

    /** Column c's float32 values, [rows][width] little-endian, as a view of the Arrow buffer (no copy). */
    ByteBuffer column(int c) {
        FieldVector v = root.getVector(c);
        int width = v instanceof FixedSizeListVector list ? list.getListSize() : 1;
        Float4Vector data = v instanceof FixedSizeListVector list ? (Float4Vector) list.getDataVector() : (Float4Vector) v;
        return data.getDataBuffer().nioBuffer(0, root.getRowCount() * width * 4).order(ByteOrder.LITTLE_ENDIAN);
    }

    @Override
    public void close() {
        root.close();
    }
}
