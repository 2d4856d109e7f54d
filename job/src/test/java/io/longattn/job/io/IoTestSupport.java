package io.longattn.job.io;

import io.longattn.job.UserError;

import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.compression.AbstractCompressionCodec;
import org.apache.arrow.vector.compression.CompressionCodec;
import org.apache.arrow.vector.compression.CompressionUtil;
import org.apache.arrow.vector.complex.FixedSizeListVector;
import org.apache.arrow.vector.dictionary.DictionaryProvider;
import org.apache.arrow.vector.ipc.ArrowFileWriter;
import org.apache.arrow.vector.ipc.ArrowStreamWriter;
import org.apache.arrow.vector.ipc.message.IpcOption;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Helpers shared by the io tests: random tensors, hand-made .npy headers, hand-made Arrow files. */
final class IoTestSupport {
    private IoTestSupport() {
    }

    static float[] random(long seed, int n) {
        Random r = new Random(seed);
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) (r.nextGaussian() * 3);
        return a;
    }

    /** A .npy file with the given header dict text (padded as numpy pads) followed by data bytes. */
    static Path npy(Path file, String dict, byte[] data) throws IOException {
        byte[] text = dict.getBytes(StandardCharsets.ISO_8859_1);
        int hlen = text.length + 1;
        int pad = 64 - ((10 + hlen) % 64);
        ByteBuffer b = ByteBuffer.allocate(10 + hlen + pad + data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.put(NpyFormat.MAGIC).put((byte) 1).put((byte) 0).putShort((short) (hlen + pad)).put(text);
        for (int i = 0; i < pad; i++) b.put((byte) ' ');
        b.put((byte) '\n').put(data);
        Files.write(file, b.array());
        return file;
    }

    static String dict(String descr, String fortran, String shape) {
        return "{'descr': '" + descr + "', 'fortran_order': " + fortran + ", 'shape': " + shape + ", }";
    }

    static Field fixedList(String name, int size, ArrowType item) {
        return new Field(name, FieldType.nullable(new ArrowType.FixedSizeList(size)),
                List.of(new Field("item", FieldType.nullable(item), null)));
    }

    static final ArrowType F32 = new ArrowType.FloatingPoint(FloatingPointPrecision.SINGLE);
    static final ArrowType F64 = new ArrowType.FloatingPoint(FloatingPointPrecision.DOUBLE);

    static Map<String, String> meta(int heads, int dim) {
        return Map.of("longattn.heads", Integer.toString(heads), "longattn.head_dim", Integer.toString(dim));
    }

    /**
     * Writes an Arrow IPC file (or stream) with the schema; for each entry of batchRows a batch whose
     * FixedSizeList&lt;float32&gt; columns hold 0.5 * element index (row nullRow, if >= 0, of batch 0 is null).
     */
    static Path arrow(Path file, Schema schema, int[] batchRows, int nullRow, boolean stream,
                      CompressionCodec.Factory codecs, CompressionUtil.CodecType codec) throws IOException {
        try (BufferAllocator alloc = new RootAllocator();
             VectorSchemaRoot root = VectorSchemaRoot.create(schema, alloc);
             FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                     StandardOpenOption.WRITE)) {
            DictionaryProvider dp = new DictionaryProvider.MapDictionaryProvider();
            org.apache.arrow.vector.ipc.ArrowWriter w = stream ? new ArrowStreamWriter(root, dp, ch)
                    : codecs == null ? new ArrowFileWriter(root, dp, ch)
                    : new ArrowFileWriter(root, dp, ch, null, IpcOption.DEFAULT, codecs, codec);
            w.start();
            for (int b = 0; b < batchRows.length; b++) {
                int rows = batchRows[b];
                for (org.apache.arrow.vector.FieldVector v : root.getFieldVectors()) {
                    FixedSizeListVector l = (FixedSizeListVector) v;
                    Float4Vector c = (Float4Vector) l.getDataVector();
                    int size = l.getListSize();
                    l.setInitialCapacity(rows);
                    l.allocateNew();
                    c.allocateNew(Math.max(1, rows * size));
                    for (int r = 0; r < rows; r++) {
                        if (b == 0 && r == nullRow) {
                            l.setNull(r);
                            continue;
                        }
                        l.setNotNull(r);
                        for (int j = 0; j < size; j++) c.set(r * size + j, 0.5f * (r * size + j));
                    }
                    c.setValueCount(rows * size);
                    l.setValueCount(rows);
                }
                root.setRowCount(rows);
                w.writeBatch();
            }
            w.end();
            w.close();
        }
        return file;
    }

    static Path arrow(Path file, Schema schema, int... batchRows) throws IOException {
        return arrow(file, schema, batchRows, -1, false, null, null);
    }

    /** A codec that claims LZ4 but copies: enough to make a file whose batches say they are compressed. */
    static final CompressionCodec.Factory FAKE_LZ4 = lz4Writing(raw -> raw);

    /**
     * A codec factory that writes each buffer as body(its bytes) after the uncompressed length and claims
     * LZ4_FRAME, so tests can make compressed batches of their own choosing.
     */
    static CompressionCodec.Factory lz4Writing(java.util.function.UnaryOperator<byte[]> body) {
        return new CompressionCodec.Factory() {
            @Override
            public CompressionCodec createCodec(CompressionUtil.CodecType type) {
                return new AbstractCompressionCodec() {
                    @Override
                    protected ArrowBuf doCompress(BufferAllocator a, ArrowBuf raw) {
                        byte[] in = new byte[(int) raw.writerIndex()];
                        raw.getBytes(0, in);
                        byte[] written = body.apply(in);
                        ArrowBuf out = a.buffer(written.length + CompressionUtil.SIZE_OF_UNCOMPRESSED_LENGTH);
                        out.setBytes(CompressionUtil.SIZE_OF_UNCOMPRESSED_LENGTH, written);
                        out.writerIndex(written.length + CompressionUtil.SIZE_OF_UNCOMPRESSED_LENGTH);
                        return out;
                    }

                    @Override
                    protected ArrowBuf doDecompress(BufferAllocator a, ArrowBuf compressed) {
                        throw new UnsupportedOperationException();
                    }

                    @Override
                    public CompressionUtil.CodecType getCodecType() {
                        return CompressionUtil.CodecType.LZ4_FRAME;
                    }
                };
            }

            @Override
            public CompressionCodec createCodec(CompressionUtil.CodecType type, int level) {
                return createCodec(type);
            }
        };
    }

    /** Asserts that inspecting fails with a UserError naming the file whose message has every fragment. */
    static UserError assertUserError(String path, String role, String... fragments) {
        UserError e = assertThrows(UserError.class, () -> TensorFiles.inspect(path, role));
        assertMessage(e, path, fragments);
        return e;
    }

    static void assertMessage(UserError e, String subject, String... fragments) {
        String m = e.getMessage();
        assertTrue(m.startsWith(subject + ": "), () -> "message should name " + subject + ": " + m);
        assertTrue(m.contains(", expected "), () -> "message should say what was expected: " + m);
        for (String f : fragments) assertTrue(m.contains(f), () -> "message should contain '" + f + "': " + m);
        assertTrue(!m.contains("\n"), () -> "message should be one line: " + m);
    }
}
