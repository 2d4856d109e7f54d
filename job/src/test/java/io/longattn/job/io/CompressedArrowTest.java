package io.longattn.job.io;

import org.apache.arrow.vector.compression.CompressionCodec;
import org.apache.arrow.vector.compression.CompressionUtil;
import org.apache.arrow.vector.types.pojo.Schema;
import org.apache.commons.compress.compressors.lz4.XXHash32;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** LZ4_FRAME and ZSTD record batches: written on request, read back, and read from a frame built by hand. */
class CompressedArrowTest {
    @TempDir
    Path dir;

    /** Few distinct values, so a compressed file is much smaller than a plain one. */
    static float[] compressible(int n, long seed) {
        Random r = new Random(seed);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = r.nextInt(4) * 0.25f;
        return x;
    }

    @ParameterizedTest
    @CsvSource({"LZ4, FLOAT32", "LZ4, FLOAT16", "ZSTD, FLOAT32", "ZSTD, FLOAT16"})
    void roundTrip(Compression c, DType t) throws Exception {
        int seq = 3000, heads = 2, dim = 16;
        float[] x = compressible(seq * heads * dim, 7);
        String plain = dir.resolve("plain.arrow").toString(), packed = dir.resolve("packed.arrow").toString();
        TensorFiles.writeWhole(plain, "q", seq, heads, dim, t, false, x);
        try (TensorWriter w = TensorFiles.create(packed, "q", seq, heads, dim, t, false, c)) {
            // appends of odd sizes give several record batches
            for (int row = 0; row < seq; row += 700) w.append(x, row * heads * dim, Math.min(700, seq - row));
            w.commit();
        }
        assertTrue(Files.size(Path.of(packed)) * 3 < Files.size(Path.of(plain)),
                () -> "the " + c + " file should be compressed");
        TensorHeader h = TensorFiles.inspect(packed, "q");
        assertEquals(seq, h.seq());
        assertEquals(t, h.dtype());
        TensorRoundTripTest.checkRandomReads(h, TensorRoundTripTest.stored(x, t), 11);
    }

    @Test
    void lseCompressed() throws Exception {
        String path = dir.resolve("lse.feather").toString();
        float[] x = compressible(40 * 3, 3);
        try (TensorWriter w = TensorFiles.createLse(path, 40, 3, false, Compression.ZSTD)) {
            w.append(x, 0, 40);
            w.commit();
        }
        assertArrayEquals(x, TensorFiles.readAll(path, TensorFiles.LSE));
    }

    /**
     * An LZ4 frame as the LZ4 frame format specifies it, built here rather than by Arrow's codec: so a
     * file from another writer (pyarrow's feather default) is read, not only what Arrow Java writes.
     * Stored (uncompressed) blocks are legal LZ4 frame blocks: block size with the high bit set.
     */
    @Test
    void handMadeLz4Frame() throws Exception {
        Path file = dir.resolve("q.feather");
        Schema schema = new Schema(List.of(IoTestSupport.fixedList("q", 4, IoTestSupport.F32)), IoTestSupport.meta(2, 2));
        IoTestSupport.arrow(file, schema, new int[]{3, 5}, -1, false, HAND_LZ4, CompressionUtil.CodecType.LZ4_FRAME);
        TensorHeader h = TensorFiles.inspect(file.toString(), "q");
        assertEquals(8, h.seq());
        float[] expect = new float[8 * 4];
        for (int i = 0; i < 12; i++) expect[i] = 0.5f * i;
        for (int i = 0; i < 20; i++) expect[12 + i] = 0.5f * i;
        assertArrayEquals(expect, TensorFiles.readAll(file.toString(), "q"));
    }

    @Test
    void corruptFrameIsAUserError() throws Exception {
        Path file = dir.resolve("q.arrow");
        Schema schema = new Schema(List.of(IoTestSupport.fixedList("q", 4, IoTestSupport.F32)), IoTestSupport.meta(2, 2));
        // batches labelled LZ4_FRAME whose buffers are raw bytes: inspecting reads metadata only, reading fails
        IoTestSupport.arrow(file, schema, new int[]{3}, -1, false, IoTestSupport.FAKE_LZ4, CompressionUtil.CodecType.LZ4_FRAME);
        TensorHeader h = TensorFiles.inspect(file.toString(), "q");
        io.longattn.job.UserError e = assertThrows(io.longattn.job.UserError.class, () -> {
            try (TensorReader r = TensorFiles.open(h)) {
                r.readRows(0, 3, new float[12], 0);
            }
        });
        IoTestSupport.assertMessage(e, file.toString(), "record batch 0 cannot be loaded");
    }

    static byte[] lz4Frame(byte[] data) {
        ByteBuffer b = ByteBuffer.allocate(data.length + 64).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(0x184D2204);
        byte flg = 0x60; // version 01, independent blocks, no checksums, no content size
        byte bd = 0x40; // blocks of at most 64 KiB
        XXHash32 hash = new XXHash32();
        hash.update(new byte[]{flg, bd}, 0, 2);
        b.put(flg).put(bd).put((byte) ((hash.getValue() >> 8) & 0xff));
        for (int off = 0; off < data.length; off += 65536) {
            int n = Math.min(65536, data.length - off);
            b.putInt(n | 0x80000000);
            b.put(data, off, n);
        }
        b.putInt(0);
        byte[] out = new byte[b.position()];
        b.flip().get(out);
        return out;
    }

    static final CompressionCodec.Factory HAND_LZ4 = IoTestSupport.lz4Writing(CompressedArrowTest::lz4Frame);
}
