package io.longattn.job.io;

import io.longattn.job.UserError;

import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;

import static io.longattn.job.io.IoTestSupport.assertUserError;
import static io.longattn.job.io.IoTestSupport.dict;
import static io.longattn.job.io.IoTestSupport.npy;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

/** Every problem with an input file is one UserError line naming the file and saying what was expected. */
class TensorErrorsTest {
    @TempDir
    Path dir;

    String p(String name) {
        return dir.resolve(name).toString();
    }

    // ---------------------------------------------------------------- any file

    @Test
    void missingFile() {
        UserError e = assertUserError(p("q.npy"), "q");
        assertEquals(p("q.npy") + ": does not exist, expected an existing file", e.getMessage());
        assertUserError(p("q.arrow"), "q", "does not exist", "expected an existing file");
        assertUserError("file://" + p("q.arrow"), "q", "does not exist");
    }

    @Test
    void directoryInsteadOfFile() throws Exception {
        Files.createDirectory(dir.resolve("d.npy"));
        UserError e = assertUserError(p("d.npy"), "q");
        assertEquals(p("d.npy") + ": is a directory, expected a file", e.getMessage());
    }

    @Test
    void unreadableFile() throws Exception {
        Path f = Files.write(dir.resolve("secret.npy"), new byte[200]);
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("---------"));
        assumeFalse(Files.isReadable(f), "running as root: permissions are not enforced");
        assertUserError(f.toString(), "q", "cannot be read (permission denied)", "expected a readable file");
    }

    @Test
    void unknownExtension() throws Exception {
        Files.write(dir.resolve("q.txt"), new byte[10]);
        UserError e = assertUserError(p("q.txt"), "q");
        assertEquals(p("q.txt") + ": has the unknown extension .txt, expected one of .npy, .arrow, .feather, .ipc", e.getMessage());
        assertUserError(p("q"), "q", "has no file extension", ".npy");
        assertThrows(UserError.class, () -> TensorFormat.fromPath("out.parquet"));
    }

    // ---------------------------------------------------------------- .npy

    @Test
    void npyBadMagic() throws Exception {
        Files.write(dir.resolve("q.npy"), "this is not numpy at all, just text".getBytes(StandardCharsets.US_ASCII));
        assertUserError(p("q.npy"), "q", "is not a .npy file (bad magic", "expected a file written by numpy.save");
        Files.write(dir.resolve("short.npy"), new byte[]{(byte) 0x93, 'N'});
        assertUserError(p("short.npy"), "q", "is too short to be a .npy file (2 bytes)", "numpy.save");
    }

    @Test
    void npyUnparsableHeader() throws Exception {
        npy(dir.resolve("q.npy"), "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3, 4", new byte[96]);
        assertUserError(p("q.npy"), "q", "has an unparsable .npy header", "expected a dict like {'descr'");
        npy(dir.resolve("k.npy"), "{'descr': '<f4', 'shape': (2, 3, 4), }", new byte[96]);
        assertUserError(p("k.npy"), "k", "has a .npy header without 'fortran_order'", "expected the keys");
        npy(dir.resolve("v.npy"), "[1, 2]", new byte[96]);
        assertUserError(p("v.npy"), "v", "unparsable .npy header (not a dict)");
        // header length beyond the end of the file
        byte[] trunc = java.util.Arrays.copyOf(java.util.Base64.getDecoder().decode(NpyFormatTest.F32_2x3x4), 40);
        Files.write(dir.resolve("t.npy"), trunc);
        assertUserError(p("t.npy"), "q", "has a truncated .npy header", "expected a complete file");
    }

    @Test
    void npyDeeplyNestedHeader() throws Exception {
        // 100,000 parentheses need a version 2.0 header (a 4-byte length); the parser used to recurse once per level
        byte[] text = ("{'descr': '<f4', 'fortran_order': False, 'shape': " + "(".repeat(100_000) + "\n")
                .getBytes(StandardCharsets.ISO_8859_1);
        ByteBuffer b = ByteBuffer.allocate(12 + text.length).order(ByteOrder.LITTLE_ENDIAN);
        b.put(NpyFormat.MAGIC).put((byte) 2).put((byte) 0).putInt(text.length).put(text);
        Files.write(dir.resolve("q.npy"), b.array());
        assertUserError(p("q.npy"), "q", "has an unparsable .npy header (nested deeper than 32 levels",
                "expected a dict like {'descr'");
    }

    @Test
    void npyHeaderBytesAreEscapedInTheMessage() throws Exception {
        npy(dir.resolve("q.npy"), dict("\r\u001b[2K\u001b[31m", "False", "(2, 3, 4)"), new byte[96]);
        UserError e = assertUserError(p("q.npy"), "q", "dtype \\x0d\\x1b[2K\\x1b[31m");
        assertEquals(-1, e.getMessage().indexOf('\u001b'), e.getMessage());
        assertEquals(-1, e.getMessage().indexOf('\r'), e.getMessage());
    }

    @Test
    void npyUnsupportedDtypes() throws Exception {
        npy(dir.resolve("i.npy"), dict("<i4", "False", "(2, 3, 4)"), new byte[96]);
        UserError e = assertUserError(p("i.npy"), "q");
        assertEquals(p("i.npy") + ": dtype int32 (<i4) is not supported, expected float32 (<f4) or float16 (<f2)", e.getMessage());
        npy(dir.resolve("d.npy"), dict("<f8", "False", "(2, 3, 4)"), new byte[192]);
        assertUserError(p("d.npy"), "q", "dtype float64 (<f8) is not supported", "expected float32 (<f4) or float16 (<f2)");
        npy(dir.resolve("b.npy"), dict("|b1", "False", "(2, 3, 4)"), new byte[24]);
        assertUserError(p("b.npy"), "q", "dtype bool (|b1) is not supported");
        npy(dir.resolve("s.npy"), "{'descr': [('a', '<f4'), ('b', '<f4')], 'fortran_order': False, 'shape': (2, 3, 4), }", new byte[192]);
        assertUserError(p("s.npy"), "q", "structured dtype", "expected float32 (<f4) or float16 (<f2)");
    }

    @Test
    void npyBigEndian() throws Exception {
        npy(dir.resolve("q.npy"), dict(">f4", "False", "(2, 3, 4)"), new byte[96]);
        assertUserError(p("q.npy"), "q", "is big-endian (>f4)", "expected little-endian float32 (<f4) or float16 (<f2)");
    }

    @Test
    void npyFortranOrder() throws Exception {
        npy(dir.resolve("q.npy"), dict("<f4", "True", "(2, 3, 4)"), new byte[96]);
        UserError e = assertUserError(p("q.npy"), "q");
        assertEquals(p("q.npy") + ": is stored in Fortran order (fortran_order True), expected C order"
                + " (save numpy.ascontiguousarray(x))", e.getMessage());
    }

    @Test
    void npyWrongRank() throws Exception {
        npy(dir.resolve("q.npy"), dict("<f4", "False", "(6, 4)"), new byte[96]);
        UserError e = assertUserError(p("q.npy"), "q");
        assertEquals(p("q.npy") + ": has shape [6, 4] of rank 2, expected rank 3 [seq heads head_dim]"
                + " (or rank 4 [batch seq heads head_dim])", e.getMessage());
        npy(dir.resolve("k.npy"), dict("<f4", "False", "(1, 2, 3, 4, 5)"), new byte[480]);
        assertUserError(p("k.npy"), "k", "has shape [1, 2, 3, 4, 5] of rank 5", "expected rank 3");
        // rank 4 is a batch of sequences: [B, S, H, D] reads as B * S rows
        npy(dir.resolve("v.npy"), dict("<f4", "False", "(2, 3, 4, 1)"), new byte[96]);
        TensorHeader batch = TensorFiles.inspect(p("v.npy"), "v");
        assertEquals(2, batch.batch());
        assertEquals(6, batch.seq());
        assertEquals("[2, 3, 4, 1]", batch.shapeString());
        npy(dir.resolve("lse.npy"), dict("<f4", "False", "(2, 3, 4)"), new byte[96]);
        assertUserError(p("lse.npy"), TensorFiles.LSE, "of rank 3", "expected rank 2 [seq heads]");
    }

    @Test
    void npyZeroSizes() throws Exception {
        npy(dir.resolve("q.npy"), dict("<f4", "False", "(0, 2, 64)"), new byte[0]);
        UserError e = assertUserError(p("q.npy"), "q");
        assertEquals(p("q.npy") + ": has shape [0, 2, 64] with seq 0, expected seq >= 1", e.getMessage());
        npy(dir.resolve("k.npy"), dict("<f4", "False", "(5, 0, 64)"), new byte[0]);
        assertUserError(p("k.npy"), "k", "with heads 0", "expected heads >= 1");
        npy(dir.resolve("v.npy"), dict("<f4", "False", "(5, 2, 0)"), new byte[0]);
        assertUserError(p("v.npy"), "v", "with head_dim 0", "expected head_dim >= 1");
    }

    @Test
    void npyTruncatedData() throws Exception {
        npy(dir.resolve("q.npy"), dict("<f4", "False", "(65536, 2, 64)"), new byte[1000]);
        UserError e = assertUserError(p("q.npy"), "q");
        assertEquals(p("q.npy") + ": holds 1000 bytes of data, expected 33554432 for shape [65536, 2, 64] float32"
                + " (the file is truncated)", e.getMessage());
        npy(dir.resolve("h.npy"), dict("<f2", "False", "(4, 2, 8)"), new byte[127]);
        assertUserError(p("h.npy"), "q", "holds 127 bytes of data", "expected 128 for shape [4, 2, 8] float16");
    }

    @Test
    void npyTruncatedAfterInspect() throws Exception {
        String path = p("q.npy");
        TensorFiles.writeWhole(path, "q", 8, 2, 4, new float[64]);
        TensorHeader h = TensorFiles.inspect(path, "q");
        try (RandomAccessFile f = new RandomAccessFile(path, "rw")) {
            f.setLength(128 + 100);
        }
        UserError e = assertThrows(UserError.class, () -> TensorFiles.open(h));
        IoTestSupport.assertMessage(e, path, "changed since it was inspected");
    }

    // ---------------------------------------------------------------- Arrow

    Schema schema(Field f, Map<String, String> meta) {
        return new Schema(List.of(f), meta);
    }

    @Test
    void arrowNotAnArrowFile() throws Exception {
        Files.write(dir.resolve("q.arrow"), "col1,col2\n1,2\n".getBytes(StandardCharsets.US_ASCII));
        UserError e = assertUserError(p("q.arrow"), "q");
        assertEquals(p("q.arrow") + ": is not an Arrow IPC file (it does not start with ARROW1), expected an Arrow IPC file"
                + " (pyarrow.ipc.new_file, pyarrow.feather.write_feather, Arrow JS tableToIPC(table, 'file'))", e.getMessage());
        Files.write(dir.resolve("p.feather"), "PAR1....".getBytes(StandardCharsets.US_ASCII));
        assertUserError(p("p.feather"), "q", "is a Parquet file", "expected an Arrow IPC file");
        Files.write(dir.resolve("v1.feather"), "FEA1....".getBytes(StandardCharsets.US_ASCII));
        assertUserError(p("v1.feather"), "q", "is a Feather v1 file", "expected Feather v2");
        Files.write(dir.resolve("n.arrow"), java.util.Base64.getDecoder().decode(NpyFormatTest.F32_2x3x4));
        assertUserError(p("n.arrow"), "q", "is a .npy file with an Arrow extension", "or the extension .npy");
    }

    @Test
    void arrowStreamFormat() throws Exception {
        IoTestSupport.arrow(dir.resolve("q.arrow"), schema(IoTestSupport.fixedList("q", 4, IoTestSupport.F32),
                IoTestSupport.meta(2, 2)), new int[]{3}, -1, true, null, null);
        assertUserError(p("q.arrow"), "q", "is an Arrow IPC stream (what Arrow JS tableToIPC(table)", "does not read",
                "expected an Arrow IPC file", "tableToIPC(table, 'file')");
    }

    @Test
    void arrowTruncated() throws Exception {
        Path f = IoTestSupport.arrow(dir.resolve("q.arrow"), schema(IoTestSupport.fixedList("q", 4, IoTestSupport.F32),
                IoTestSupport.meta(2, 2)), 5, 5);
        long size = Files.size(f);
        try (RandomAccessFile r = new RandomAccessFile(f.toFile(), "rw")) {
            r.setLength(size - 30);
        }
        assertUserError(p("q.arrow"), "q", "is truncated or corrupt", "expected a complete Arrow IPC file");
        try (RandomAccessFile r = new RandomAccessFile(f.toFile(), "rw")) {
            r.setLength(12);
        }
        assertUserError(p("q.arrow"), "q", "is truncated or corrupt", "expected a complete Arrow IPC file");
    }

    @Test
    void arrowCorruptFooter() throws Exception {
        Path f = IoTestSupport.arrow(dir.resolve("q.arrow"), schema(IoTestSupport.fixedList("q", 4, IoTestSupport.F32),
                IoTestSupport.meta(2, 2)), 5, 5);
        byte[] b = Files.readAllBytes(f);
        // scribble over the footer flatbuffer, keep the footer length and the trailing magic
        for (int i = b.length - 10 - 100; i < b.length - 10; i++) b[i] = (byte) 0x7f;
        Files.write(f, b);
        assertUserError(p("q.arrow"), "q", "is corrupt or not an Arrow IPC file (", "expected a valid Arrow IPC file");
    }

    @Test
    void arrowColumnMissingOrNamedDifferently() throws Exception {
        IoTestSupport.arrow(dir.resolve("q.arrow"), schema(IoTestSupport.fixedList("x", 4, IoTestSupport.F32),
                IoTestSupport.meta(2, 2)), 2);
        UserError e = assertUserError(p("q.arrow"), "q");
        assertEquals(p("q.arrow") + ": has columns [x], expected a column named q", e.getMessage());
    }

    @Test
    void arrowWrongType() throws Exception {
        IoTestSupport.arrow(dir.resolve("d.arrow"), schema(IoTestSupport.fixedList("q", 128, IoTestSupport.F64),
                IoTestSupport.meta(2, 64)));
        UserError e = assertUserError(p("d.arrow"), "q");
        assertEquals(p("d.arrow") + ": column q has type FixedSizeList<float64, 128>, expected FixedSizeList<float32 or float16, 128>",
                e.getMessage());
        Field list = new Field("q", FieldType.nullable(new ArrowType.List()),
                List.of(new Field("item", FieldType.nullable(IoTestSupport.F32), null)));
        IoTestSupport.arrow(dir.resolve("l.arrow"), schema(list, IoTestSupport.meta(2, 64)));
        assertUserError(p("l.arrow"), "q", "column q has type List<float32>", "expected FixedSizeList<float32 or float16, 128>");
        Field flat = new Field("q", FieldType.nullable(new ArrowType.Int(32, true)), null);
        IoTestSupport.arrow(dir.resolve("i.arrow"), schema(flat, Map.of()));
        assertUserError(p("i.arrow"), "q", "column q has type int32", "expected FixedSizeList<float32 or float16, heads * head_dim>");
    }

    @Test
    void arrowMetadataMissingOrNotNumeric() throws Exception {
        IoTestSupport.arrow(dir.resolve("m.arrow"), schema(IoTestSupport.fixedList("q", 4, IoTestSupport.F32), Map.of()), 2);
        assertUserError(p("m.arrow"), "q", "has no schema metadata longattn.heads", "expected the number of heads as schema metadata",
                "{'longattn.heads': 'H', 'longattn.head_dim': 'D'} with H * D = 4", "Arrow JS");
        IoTestSupport.arrow(dir.resolve("n.arrow"), schema(IoTestSupport.fixedList("q", 4, IoTestSupport.F32),
                Map.of("longattn.heads", "two", "longattn.head_dim", "2")), 2);
        UserError e = assertUserError(p("n.arrow"), "q");
        assertEquals(p("n.arrow") + ": schema metadata longattn.heads is 'two', expected a positive integer (the number of heads)",
                e.getMessage());
        IoTestSupport.arrow(dir.resolve("d.arrow"), schema(IoTestSupport.fixedList("q", 4, IoTestSupport.F32),
                Map.of("longattn.heads", "2")), 2);
        assertUserError(p("d.arrow"), "q", "has no schema metadata longattn.head_dim", "expected the head dimension",
                "here {'longattn.heads': '2', 'longattn.head_dim': '2'}"); // the file's own numbers, not an example's
        IoTestSupport.arrow(dir.resolve("h.arrow"), schema(IoTestSupport.fixedList("q", 64, IoTestSupport.F32),
                Map.of("longattn.head_dim", "16")), 2);
        assertUserError(p("h.arrow"), "q", "has no schema metadata longattn.heads", "{'longattn.heads': '4', 'longattn.head_dim': '16'}");
        IoTestSupport.arrow(dir.resolve("z.arrow"), schema(IoTestSupport.fixedList("q", 4, IoTestSupport.F32),
                Map.of("longattn.heads", "2", "longattn.head_dim", "-2")), 2);
        assertUserError(p("z.arrow"), "q", "schema metadata longattn.head_dim is '-2'", "expected a positive integer");
    }

    @Test
    void arrowListSizeMismatch() throws Exception {
        IoTestSupport.arrow(dir.resolve("q.arrow"), schema(IoTestSupport.fixedList("q", 100, IoTestSupport.F32),
                IoTestSupport.meta(2, 64)), 1);
        UserError e = assertUserError(p("q.arrow"), "q");
        assertEquals(p("q.arrow") + ": column q has list size 100, expected heads * head_dim = 2 * 64 = 128", e.getMessage());
    }

    @Test
    void arrowNoRows() throws Exception {
        IoTestSupport.arrow(dir.resolve("q.arrow"), schema(IoTestSupport.fixedList("q", 4, IoTestSupport.F32),
                IoTestSupport.meta(2, 2)));
        assertUserError(p("q.arrow"), "q", "has 0 rows (0 record batches)", "expected at least one token");
        IoTestSupport.arrow(dir.resolve("k.arrow"), schema(IoTestSupport.fixedList("k", 4, IoTestSupport.F32),
                IoTestSupport.meta(2, 2)), 0, 0);
        assertUserError(p("k.arrow"), "k", "has 0 rows (2 record batches)");
    }

    @Test
    void arrowNulls() throws Exception {
        IoTestSupport.arrow(dir.resolve("q.arrow"), schema(IoTestSupport.fixedList("q", 4, IoTestSupport.F32),
                IoTestSupport.meta(2, 2)), new int[]{3, 2}, 1, false, null, null);
        assertUserError(p("q.arrow"), "q", "column q has 1 null rows in record batch 0", "expected no nulls");
    }

    @Test
    void arrowFileChangedAfterInspect() throws Exception {
        String path = p("q.arrow");
        TensorFiles.writeWhole(path, "q", 8, 2, 4, new float[64]);
        TensorHeader h = TensorFiles.inspect(path, "q");
        Files.delete(Path.of(path));
        IoTestSupport.arrow(Path.of(path), schema(IoTestSupport.fixedList("q", 8, IoTestSupport.F32), IoTestSupport.meta(2, 4)), 4, 4);
        UserError e = assertThrows(UserError.class, () -> TensorFiles.open(h));
        IoTestSupport.assertMessage(e, path, "changed since it was inspected (its size is ");
        Files.delete(Path.of(path));
        UserError gone = assertThrows(UserError.class, () -> TensorFiles.open(h));
        assertEquals(path + ": does not exist, expected an existing file", gone.getMessage());
    }
}
