package io.longattn.job.io;

import io.longattn.job.UserError;

import io.longattn.kernels.Half;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TensorRoundTripTest {
    @TempDir
    Path dir;

    static float[] stored(float[] x, DType t) {
        if (t == DType.FLOAT32) return x;
        float[] y = new float[x.length];
        for (int i = 0; i < x.length; i++) y[i] = Half.toFloat(Half.fromFloat(x[i]));
        return y;
    }

    /** Writes with appends of the given sizes (cycled), so Arrow files get record batches of those sizes. */
    static void write(String path, String column, int seq, int heads, int dim, DType t, float[] x, int... appends) throws Exception {
        int epr = heads * dim;
        try (TensorWriter w = TensorFiles.create(path, column, seq, heads, dim, t, false)) {
            int row = 0;
            for (int i = 0; row < seq; i++) {
                int n = Math.min(appends[i % appends.length], seq - row);
                w.append(x, row * epr, n);
                row += n;
                assertEquals(row, w.rowsWritten());
            }
            w.commit();
        }
    }

    /** Reads [start, start + count) at many offsets and checks against the expected array. */
    static void checkRandomReads(TensorHeader h, float[] expect, long seed) throws Exception {
        int epr = h.elementsPerToken();
        Random r = new Random(seed);
        try (TensorReader reader = TensorFiles.open(h)) {
            assertEquals(h, reader.header());
            float[] all = new float[h.seq() * epr + 3];
            reader.readRows(0, h.seq(), all, 3);
            assertArrayEquals(expect, Arrays.copyOfRange(all, 3, all.length));
            for (int k = 0; k < 60; k++) {
                int start = r.nextInt(h.seq());
                int count = r.nextInt(h.seq() - start + 1);
                int off = r.nextInt(5);
                float[] dst = new float[off + count * epr];
                reader.readRows(start, count, dst, off);
                assertArrayEquals(Arrays.copyOfRange(expect, start * epr, (start + count) * epr),
                        Arrays.copyOfRange(dst, off, dst.length), "rows " + start + " + " + count);
            }
            // sequential chunked reads, as the stream strategy does
            int chunk = 1 + r.nextInt(9);
            float[] dst = new float[chunk * epr];
            for (int s = 0; s < h.seq(); s += chunk) {
                int n = Math.min(chunk, h.seq() - s);
                reader.readRows(s, n, dst, 0);
                assertArrayEquals(Arrays.copyOfRange(expect, s * epr, (s + n) * epr), Arrays.copyOf(dst, n * epr));
            }
            assertThrows(IndexOutOfBoundsException.class, () -> reader.readRows(h.seq() - 1, 2, new float[2 * epr], 0));
            assertThrows(IndexOutOfBoundsException.class, () -> reader.readRows(-1, 1, new float[epr], 0));
            assertThrows(IndexOutOfBoundsException.class, () -> reader.readRows(0, 2, new float[epr], 0));
        }
    }

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({
            "npy, FLOAT32", "npy, FLOAT16",
            "arrow, FLOAT32", "arrow, FLOAT16",
            "feather, FLOAT32", "ipc, FLOAT16"})
    void roundTrip(String ext, DType t) throws Exception {
        int seq = 37, heads = 3, dim = 5;
        float[] x = IoTestSupport.random(1, seq * heads * dim);
        String path = dir.resolve("q." + ext).toString();
        write(path, "q", seq, heads, dim, t, x, 7, 1, 11, 3);
        TensorHeader h = TensorFiles.inspect(path, "q");
        assertEquals(path + " [37, 3, 5] " + t.label(), h.describe());
        assertEquals(t, h.dtype());
        assertEquals(15, h.elementsPerToken());
        assertEquals(ext.equals("npy") ? TensorFormat.NPY : TensorFormat.ARROW, h.format());
        if (h.format() == TensorFormat.ARROW) {
            // appends of 7, 1, 11, 3 rows become record batches of those sizes
            assertArrayEquals(new long[]{0, 7, 8, 19, 22, 29, 30}, h.batchRowStarts());
        } else {
            assertEquals(128, h.dataOffset());
            assertEquals(128 + x.length * t.bytes(), Files.size(Path.of(path)));
        }
        checkRandomReads(h, stored(x, t), 2);
    }

    @ParameterizedTest(name = "{0} {1}, {2} parts")
    @CsvSource({"npy, FLOAT32, 1", "npy, FLOAT32, 3", "npy, FLOAT16, 3", "arrow, FLOAT32, 1", "arrow, FLOAT32, 3", "arrow, FLOAT16, 3"})
    void rowsGatheredFromPartsAreTheRowsAppendedWhole(String ext, DType t, int parts) throws Exception {
        int seq = 29, heads = 3, dim = 4, partFloats = heads * dim / parts;
        float[] x = IoTestSupport.random(9, seq * heads * dim);
        String whole = dir.resolve("whole." + ext).toString(), gathered = dir.resolve("gathered." + ext).toString();
        write(whole, "o", seq, heads, dim, t, x, 10, 19);
        // part p holds the rows' p-th slice of heads, [tokens][partFloats], from a position past some other bytes
        try (TensorWriter w = TensorFiles.create(gathered, "o", seq, heads, dim, t, false)) {
            for (int[] span : new int[][]{{0, 10}, {10, 19}}) {
                java.nio.ByteBuffer[] b = new java.nio.ByteBuffer[parts];
                for (int p = 0; p < parts; p++) {
                    b[p] = java.nio.ByteBuffer.allocateDirect(8 + span[1] * partFloats * 4).order(java.nio.ByteOrder.LITTLE_ENDIAN);
                    for (int r = 0; r < span[1]; r++) {
                        for (int i = 0; i < partFloats; i++) {
                            b[p].putFloat(8 + (r * partFloats + i) * 4, x[(span[0] + r) * heads * dim + p * partFloats + i]);
                        }
                    }
                    b[p].position(8);
                }
                w.appendParts(b, partFloats, span[1]);
                assertEquals(8, b[0].position(), "the parts' positions are left as they were");
            }
            w.commit();
        }
        assertArrayEquals(TensorFiles.readAll(whole, "o"), TensorFiles.readAll(gathered, "o"));
        if (ext.equals("npy")) assertArrayEquals(Files.readAllBytes(Path.of(whole)), Files.readAllBytes(Path.of(gathered)));
    }

    @ParameterizedTest(name = "batches of {0} rows")
    @CsvSource({"1", "2", "5", "16", "64", "100"})
    void arrowRowsSpanningBatchBoundaries(int batch) throws Exception {
        int seq = 64, heads = 2, dim = 4;
        float[] x = IoTestSupport.random(batch, seq * heads * dim);
        String path = dir.resolve("k.arrow").toString();
        write(path, "k", seq, heads, dim, DType.FLOAT32, x, batch);
        TensorHeader h = TensorFiles.inspect(path, "k");
        assertEquals((seq + Math.min(batch, seq) - 1) / Math.min(batch, seq), h.batchCount());
        checkRandomReads(h, x, batch);
    }

    @Test
    void arrowLargeAppendIsSplitIntoBoundedBatches() throws Exception {
        int seq = 1100, heads = 4, dim = 512; // 8 KiB per row: 1024 rows per 8 MiB batch
        float[] x = IoTestSupport.random(3, seq * heads * dim);
        String path = dir.resolve("v.arrow").toString();
        TensorFiles.writeWhole(path, "v", seq, heads, dim, x);
        TensorHeader h = TensorFiles.inspect(path, "v");
        assertArrayEquals(new long[]{0, 1024}, h.batchRowStarts());
        float[] dst = new float[10 * heads * dim];
        try (TensorReader r = TensorFiles.open(h)) {
            r.readRows(1020, 10, dst, 0);
        }
        assertArrayEquals(Arrays.copyOfRange(x, 1020 * heads * dim, 1030 * heads * dim), dst);
        assertArrayEquals(x, TensorFiles.readWhole(h));
    }

    @Test
    void arrowFilesWithEmptyAndUnevenBatchesFromOtherWriters() throws Exception {
        // a file as another writer might make it: nullable fields, an empty batch, metadata on the schema
        Path p = IoTestSupport.arrow(dir.resolve("x.arrow"),
                new org.apache.arrow.vector.types.pojo.Schema(
                        java.util.List.of(IoTestSupport.fixedList("q", 6, IoTestSupport.F32),
                                IoTestSupport.fixedList("other", 2, IoTestSupport.F32)),
                        IoTestSupport.meta(2, 3)),
                3, 0, 4);
        TensorHeader h = TensorFiles.inspect(p.toString(), "q");
        assertEquals("[7, 2, 3]", h.shapeString());
        assertArrayEquals(new long[]{0, 3, 3}, h.batchRowStarts());
        float[] expect = new float[7 * 6];
        for (int r = 0; r < 7; r++) {
            int inBatch = r < 3 ? r : r - 3;
            for (int j = 0; j < 6; j++) expect[r * 6 + j] = 0.5f * (inBatch * 6 + j);
        }
        checkRandomReads(h, expect, 9);
    }

    @ParameterizedTest
    @CsvSource({"npy", "arrow"})
    void lseRoundTrip(String ext) throws Exception {
        int seq = 21, heads = 4;
        float[] x = IoTestSupport.random(4, seq * heads);
        x[5] = Float.NEGATIVE_INFINITY; // fully masked rows have LSE -inf
        String path = dir.resolve("lse." + ext).toString();
        try (TensorWriter w = TensorFiles.createLse(path, seq, heads, false)) {
            w.append(x, 0, 10);
            w.append(x, 40, 11);
            w.commit();
        }
        TensorHeader h = TensorFiles.inspect(path, TensorFiles.LSE);
        assertTrue(h.rank2());
        assertEquals(path + " [21, 4] float32", h.describe());
        assertEquals(1, h.dim());
        assertEquals("lse", h.column());
        checkRandomReads(h, x, 5);
    }

    @Test
    void headerIsJavaSerializable() throws Exception {
        String path = dir.resolve("q.arrow").toString();
        write(path, "q", 10, 1, 2, DType.FLOAT32, new float[20], 3);
        TensorHeader h = TensorFiles.inspect(path, "q");
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream o = new ObjectOutputStream(bytes)) {
            o.writeObject(h);
        }
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
            TensorHeader back = (TensorHeader) in.readObject();
            assertEquals(h, back);
            assertArrayEquals(new long[]{0, 3, 6, 9}, back.batchRowStarts());
        }
    }

    @ParameterizedTest
    @CsvSource({"npy", "arrow"})
    void hadoopFileSystemPath(String ext) throws Exception {
        // the Hadoop code path (used for hdfs://, s3a://, ...) exercised through Hadoop's local file system
        int seq = 29, heads = 2, dim = 3;
        float[] x = IoTestSupport.random(6, seq * heads * dim);
        String uri = dir.resolve("h." + ext).toUri().toString();
        try (TensorWriter w = TensorFiles.create(uri, "q", seq, heads, dim, DType.FLOAT32, false, false, true)) {
            w.append(x, 0, 13);
            w.append(x, 13 * 6, 16);
            w.commit();
        }
        assertTrue(Files.exists(dir.resolve("h." + ext)));
        try (var files = Files.list(dir)) {
            // Hadoop's local file system keeps a .<name>.crc checksum beside each file
            assertEquals(1, files.filter(f -> !f.getFileName().toString().endsWith(".crc")).count(),
                    "no temporary file left behind");
        }
        TensorHeader h = TensorFiles.inspect(uri, "q", true);
        assertEquals("[29, 2, 3]", h.shapeString());
        float[] all = new float[x.length];
        try (TensorReader r = TensorFiles.open(h, true)) {
            r.readRows(0, seq, all, 0);
            assertArrayEquals(x, all);
            float[] some = new float[5 * 6];
            r.readRows(11, 5, some, 0);
            assertArrayEquals(Arrays.copyOfRange(x, 11 * 6, 16 * 6), some);
        }
        // and a file: URI through java.nio reads the same
        assertEquals(h.shapeString(), TensorFiles.inspect(uri, "q").shapeString());
        UserError missing = assertThrows(UserError.class,
                () -> TensorFiles.inspect(dir.resolve("nope." + ext).toUri().toString(), "q", true));
        assertTrue(missing.getMessage().contains("does not exist, expected an existing file"), missing.getMessage());
        UserError exists = assertThrows(UserError.class,
                () -> TensorFiles.create(uri, "q", seq, heads, dim, DType.FLOAT32, false, false, true));
        assertEquals(uri + ": already exists, expected a new path or --overwrite", exists.getMessage());
    }

    @Test
    void relativePathsAreOpenedByAbsoluteLocation() throws Exception {
        Path abs = dir.resolve("r.npy");
        TensorFiles.writeWhole(abs.toString(), "q", 3, 1, 2, new float[]{1, 2, 3, 4, 5, 6});
        String rel = Path.of("").toAbsolutePath().relativize(abs).toString();
        TensorHeader h = TensorFiles.inspect(rel, "q");
        assertEquals(rel, h.path());
        assertEquals(abs.toString(), h.location());
        assertEquals(rel + " [3, 1, 2] float32", h.describe());
        TensorHeader u = TensorFiles.inspect(abs.toUri().toString(), "q");
        assertEquals(abs.toString(), u.location());
        assertArrayEquals(new float[]{1, 2, 3, 4, 5, 6}, TensorFiles.readWhole(u));
    }

    @Test
    void userErrorMessageFormat() {
        UserError e = new UserError("k.npy", "head_dim 32 does not match q.npy head_dim 64", "64");
        assertEquals("k.npy: head_dim 32 does not match q.npy head_dim 64, expected 64", e.getMessage());
        assertEquals("k.npy", e.subject());
        assertEquals("head_dim 32 does not match q.npy head_dim 64", e.problem());
        assertEquals("64", e.expected());
    }

    @Test
    void formatAndDtypeNames() {
        assertEquals(TensorFormat.NPY, TensorFormat.fromPath("/a/b/Q.NPY"));
        assertEquals(TensorFormat.ARROW, TensorFormat.fromPath("hdfs://nn:8020/x/k.feather"));
        assertEquals(TensorFormat.ARROW, TensorFormat.fromPath("s3a://bucket/dir/v.ipc"));
        assertEquals(TensorFormat.ARROW, TensorFormat.fromPath("o.arrow"));
        assertEquals(DType.FLOAT16, DType.parse("--out-dtype", "fp16"));
        assertEquals(4, DType.FLOAT32.bytes());
        assertEquals(2, DType.FLOAT16.bytes());
        UserError e = assertThrows(UserError.class, () -> DType.parse("--out-dtype", "bf16"));
        assertEquals("--out-dtype: 'bf16' is not a supported dtype, expected float32 or float16", e.getMessage());
    }
}
