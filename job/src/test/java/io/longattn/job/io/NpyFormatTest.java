package io.longattn.job.io;

import io.longattn.kernels.Half;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Interoperability with numpy: bytes produced by numpy 2.4.6's np.save, hard-coded (no Python at test time). */
class NpyFormatTest {
    /** np.save(f, np.arange(24, dtype=np.float32).reshape(2, 3, 4) * 0.5 - 3) */
    static final String F32_2x3x4 = "k05VTVBZAQB2AHsnZGVzY3InOiAnPGY0JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDIsIDMsIDQpLCB9ICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAEDAAAAgwAAAAMAAAMC/AACAvwAAAL8AAAAAAAAAPwAAgD8AAMA/AAAAQAAAIEAAAEBAAABgQAAAgEAAAJBAAACgQAAAsEAAAMBAAADQQAAA4EAAAPBAAAAAQQAACEE=";
    /** the same as float16 */
    static final String F16_2x3x4 = "k05VTVBZAQB2AHsnZGVzY3InOiAnPGYyJywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDIsIDMsIDQpLCB9ICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAwgDBAMAAvgC8ALgAAAA4ADwAPgBAAEEAQgBDAESARABFgEUARoBGAEeARwBIQEg=";
    /** np.save(f, np.arange(6, dtype=np.float32).reshape(3, 2) * 0.25 - 1): an LSE-shaped [3, 2] array */
    static final String F32_3x2 = "k05VTVBZAQB2AHsnZGVzY3InOiAnPGY0JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDMsIDIpLCB9ICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAIC/AABAvwAAAL8AAIC+AAAAAAAAgD4=";
    /** The header numpy writes for shape (65536, 2, 64) float32 (128 bytes, 21-digit growth padding). */
    static final String HEADER_65536 = "\u0093NUMPY\u0001\u0000v\u0000{'descr': '<f4', 'fortran_order': False, 'shape': (65536, 2, 64), }"
            + " ".repeat(50) + "\n";

    @TempDir
    Path dir;

    static float[] arange(int n, float mul, float add) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = i * mul + add;
        return a;
    }

    @Test
    void headerBytesEqualNumpys() {
        byte[] f32 = Base64.getDecoder().decode(F32_2x3x4);
        byte[] h = NpyFormat.header("<f4", new long[]{2, 3, 4});
        assertEquals(128, h.length);
        assertArrayEquals(java.util.Arrays.copyOf(f32, 128), h);
        byte[] big = HEADER_65536.getBytes(StandardCharsets.ISO_8859_1);
        assertEquals(128, big.length);
        assertArrayEquals(big, NpyFormat.header("<f4", new long[]{65536, 2, 64}));
        assertEquals("(5,)", NpyFormat.shapeRepr(new long[]{5}));
    }

    @Test
    void writerOutputEqualsNumpySaveByteForByte() throws Exception {
        Path a = dir.resolve("a.npy");
        TensorFiles.writeWhole(a.toString(), "q", 2, 3, 4, arange(24, 0.5f, -3));
        assertArrayEquals(Base64.getDecoder().decode(F32_2x3x4), Files.readAllBytes(a));

        Path b = dir.resolve("b.npy");
        TensorFiles.writeWhole(b.toString(), "q", 2, 3, 4, DType.FLOAT16, false, arange(24, 0.5f, -3));
        assertArrayEquals(Base64.getDecoder().decode(F16_2x3x4), Files.readAllBytes(b));

        Path c = dir.resolve("lse.npy");
        try (TensorWriter w = TensorFiles.createLse(c.toString(), 3, 2, false)) {
            w.append(arange(6, 0.25f, -1), 0, 3);
            w.commit();
        }
        assertArrayEquals(Base64.getDecoder().decode(F32_3x2), Files.readAllBytes(c));
    }

    @Test
    void readsNumpyFiles() throws Exception {
        Path a = Files.write(dir.resolve("q.npy"), Base64.getDecoder().decode(F32_2x3x4));
        TensorHeader h = TensorFiles.inspect(a.toString(), "q");
        assertEquals(a + " [2, 3, 4] float32", h.describe());
        assertEquals(128, h.dataOffset());
        assertArrayEquals(arange(24, 0.5f, -3), TensorFiles.readWhole(h));

        Path b = Files.write(dir.resolve("k.npy"), Base64.getDecoder().decode(F16_2x3x4));
        TensorHeader hb = TensorFiles.inspect(b.toString(), "k");
        assertEquals(DType.FLOAT16, hb.dtype());
        assertArrayEquals(arange(24, 0.5f, -3), TensorFiles.readWhole(hb));

        Path c = Files.write(dir.resolve("lse.npy"), Base64.getDecoder().decode(F32_3x2));
        TensorHeader hc = TensorFiles.inspect(c.toString(), TensorFiles.LSE);
        assertEquals(c + " [3, 2] float32", hc.describe());
        assertEquals(true, hc.rank2());
        assertArrayEquals(arange(6, 0.25f, -1), TensorFiles.readWhole(hc));
    }

    @Test
    void acceptsOtherNumpyHeaderSpellings() throws Exception {
        // Python 2 era: long suffix, no trailing comma, double quotes, no growth padding; version 2.0 header
        byte[] data = new byte[2 * 3 * 4 * 4];
        Path p = IoTestSupport.npy(dir.resolve("old.npy"), "{\"descr\": \"<f4\", \"fortran_order\": False, \"shape\": (2L, 3L, 4L)}", data);
        TensorHeader h = TensorFiles.inspect(p.toString(), "q");
        assertEquals("[2, 3, 4]", h.shapeString());
        // '|' is not an order numpy uses for f4, '=' is native: both accepted as little-endian machines
        Path q = IoTestSupport.npy(dir.resolve("native.npy"), IoTestSupport.dict("=f2", "False", "(2, 3, 4)"), new byte[48]);
        assertEquals(DType.FLOAT16, TensorFiles.inspect(q.toString(), "q").dtype());
    }

    @Test
    void literalParser() {
        Object o = new NpyFormat.LiteralParser("{'a': (1, 2,), 'b': [True, None], 'c': 'x', }").parseAll();
        assertEquals(Map.of("a", List.of(1L, 2L), "b", java.util.Arrays.asList(true, null), "c", "x"), o);
        assertThrows(IllegalArgumentException.class, () -> new NpyFormat.LiteralParser("{'a': 1").parseAll());
        assertThrows(IllegalArgumentException.class, () -> new NpyFormat.LiteralParser("{'a': 1.5}").parseAll());
        assertThrows(IllegalArgumentException.class, () -> new NpyFormat.LiteralParser("{'a': foo}").parseAll());
        assertEquals("int32", NpyFormat.dtypeName("<i4"));
        assertEquals("float64", NpyFormat.dtypeName("<f8"));
        assertEquals("bool", NpyFormat.dtypeName("|b1"));
        assertEquals("uint8", NpyFormat.dtypeName("|u1"));
    }

    @Test
    void halfConversionRoundTripsThroughFiles() throws Exception {
        float[] x = IoTestSupport.random(5, 64);
        Path p = dir.resolve("h.npy");
        TensorFiles.writeWhole(p.toString(), "q", 4, 2, 8, DType.FLOAT16, false, x);
        float[] back = TensorFiles.readWhole(TensorFiles.inspect(p.toString(), "q"));
        for (int i = 0; i < x.length; i++) assertEquals(Half.toFloat(Half.fromFloat(x[i])), back[i]);
    }
}
