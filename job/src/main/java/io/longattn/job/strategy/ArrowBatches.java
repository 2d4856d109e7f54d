package io.longattn.job.strategy;

import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.complex.FixedSizeListVector;
import org.apache.arrow.vector.ipc.ArrowStreamReader;
import org.apache.arrow.vector.ipc.ArrowStreamWriter;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.FieldType;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteOrder;
import java.nio.channels.Channels;
import java.util.List;

/**
 * Tensor rows as Arrow IPC stream bytes: one record batch whose columns are FixedSizeList&lt;float32, width&gt;,
 * one row per token. This is how tensor chunks travel between the driver and the executors.
 */
public final class ArrowBatches {
    private ArrowBatches() {
    }

    /** Encodes rows [rows][width] of each column (same row count) as one IPC stream with one batch. */
    public static byte[] encode(int rows, List<String> names, List<Integer> widths, List<float[]> columns) {
        try (BufferAllocator alloc = new RootAllocator();
             VectorSchemaRoot root = VectorSchemaRoot.of(vectors(alloc, rows, names, widths, columns))) {
            root.setRowCount(rows);
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            try (ArrowStreamWriter w = new ArrowStreamWriter(root, null, Channels.newChannel(bytes))) {
                w.start();
                w.writeBatch();
                w.end();
            }
            return bytes.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static FixedSizeListVector[] vectors(BufferAllocator alloc, int rows, List<String> names,
                                                 List<Integer> widths, List<float[]> columns) {
        FixedSizeListVector[] out = new FixedSizeListVector[names.size()];
        for (int c = 0; c < out.length; c++) {
            int width = widths.get(c);
            FixedSizeListVector list = FixedSizeListVector.empty(names.get(c), width, alloc);
            list.addOrGetVector(FieldType.nullable(new ArrowType.FloatingPoint(FloatingPointPrecision.SINGLE)));
            list.setInitialCapacity(rows);
            list.allocateNew();
            Float4Vector child = (Float4Vector) list.getDataVector();
            int n = rows * width;
            child.allocateNew(n);
            ArrowBuf data = child.getDataBuffer();
            data.nioBuffer(0, n * 4).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().put(columns.get(c), 0, n);
            child.getValidityBuffer().setOne(0, (n + 7) / 8);
            child.setValueCount(n);
            for (int r = 0; r < rows; r++) list.setNotNull(r);
            list.setValueCount(rows);
            out[c] = list;
        }
        return out;
    }

    /** Decodes column name of an IPC stream made by {@link #encode} into dst at offset; returns the rows read. */
    public static int decode(byte[] ipc, String name, float[] dst, int offset) {
        try (BufferAllocator alloc = new RootAllocator();
             ArrowStreamReader reader = new ArrowStreamReader(new ByteArrayInputStream(ipc), alloc)) {
            int rows = 0;
            VectorSchemaRoot root = reader.getVectorSchemaRoot();
            while (reader.loadNextBatch()) {
                FixedSizeListVector list = (FixedSizeListVector) root.getVector(name);
                int n = list.getValueCount() * list.getListSize();
                Float4Vector child = (Float4Vector) list.getDataVector();
                child.getDataBuffer().nioBuffer(0, n * 4).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer()
                        .get(dst, offset + rows * list.getListSize(), n);
                rows += list.getValueCount();
            }
            return rows;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
