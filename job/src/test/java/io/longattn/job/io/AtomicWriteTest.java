package io.longattn.job.io;

import io.longattn.job.UserError;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

/** Nothing appears at the output path unless every row was written and commit succeeded. */
class AtomicWriteTest {
    @TempDir
    Path dir;

    List<String> names() throws Exception {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().collect(Collectors.toList());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"o.npy", "o.arrow"})
    void writesToHiddenTempThenCommitsAtomically(String name) throws Exception {
        String path = dir.resolve(name).toString();
        float[] x = IoTestSupport.random(1, 6 * 2 * 3);
        try (TensorWriter w = TensorFiles.create(path, "o", 6, 2, 3, DType.FLOAT32, false)) {
            assertEquals(path, w.path());
            w.append(x, 0, 4);
            List<String> during = names();
            assertEquals(1, during.size());
            assertTrue(during.get(0).startsWith("." + name + ".tmp-"), during.toString());
            w.append(x, 24, 2);
            w.commit();
            assertThrows(IllegalStateException.class, () -> w.append(x, 0, 1));
            assertThrows(IllegalStateException.class, w::commit);
        }
        assertEquals(List.of(name), names());
        assertArrayEquals(x, TensorFiles.readWhole(TensorFiles.inspect(path, "o")));
    }

    @ParameterizedTest
    @ValueSource(strings = {"o.npy", "o.arrow", "lse.npy", "lse.arrow"})
    void closeWithoutCommitAbortsAndLeavesNothing(String name) throws Exception {
        String path = dir.resolve(name).toString();
        try (TensorWriter w = name.startsWith("lse") ? TensorFiles.createLse(path, 4, 2, false)
                : TensorFiles.create(path, "o", 4, 2, 3, DType.FLOAT16, false)) {
            w.append(new float[24], 0, 3);
        }
        assertEquals(List.of(), names());
    }

    @ParameterizedTest
    @ValueSource(strings = {"o.npy", "o.arrow"})
    void commitWithTooFewRowsThrowsAndLeavesNothing(String name) throws Exception {
        String path = dir.resolve(name).toString();
        try (TensorWriter w = TensorFiles.create(path, "o", 10, 1, 2, DType.FLOAT32, false)) {
            w.append(new float[20], 0, 9);
            IllegalStateException e = assertThrows(IllegalStateException.class, w::commit);
            assertTrue(e.getMessage().contains("9 rows written, expected 10"), e.getMessage());
            assertEquals(List.of(), names());
        }
        assertEquals(List.of(), names());
    }

    @ParameterizedTest
    @ValueSource(strings = {"o.npy", "o.arrow"})
    void appendingTooManyRowsIsRefused(String name) throws Exception {
        String path = dir.resolve(name).toString();
        try (TensorWriter w = TensorFiles.create(path, "o", 3, 1, 2, DType.FLOAT32, false)) {
            w.append(new float[6], 0, 2);
            assertThrows(IllegalStateException.class, () -> w.append(new float[6], 0, 2));
            assertThrows(IndexOutOfBoundsException.class, () -> w.append(new float[1], 0, 1));
        }
        assertEquals(List.of(), names());
    }

    @ParameterizedTest
    @ValueSource(strings = {"o.npy", "o.arrow"})
    void existingOutputIsRefusedWithoutOverwrite(String name) throws Exception {
        Path out = Files.write(dir.resolve(name), new byte[]{1, 2, 3});
        UserError e = assertThrows(UserError.class,
                () -> TensorFiles.create(out.toString(), "o", 2, 1, 1, DType.FLOAT32, false));
        assertEquals(out + ": already exists, expected a new path or --overwrite", e.getMessage());
        UserError lse = assertThrows(UserError.class, () -> TensorFiles.createLse(out.toString(), 2, 1, false));
        assertEquals(out + ": already exists, expected a new path or --overwrite", lse.getMessage());
        assertArrayEquals(new byte[]{1, 2, 3}, Files.readAllBytes(out));
        assertEquals(List.of(name), names());
    }

    @ParameterizedTest
    @ValueSource(strings = {"o.npy", "o.arrow"})
    void overwriteReplacesOnlyAtCommit(String name) throws Exception {
        Path out = Files.write(dir.resolve(name), new byte[]{1, 2, 3});
        try (TensorWriter w = TensorFiles.create(out.toString(), "o", 2, 1, 2, DType.FLOAT32, true)) {
            w.append(new float[]{1, 2, 3, 4}, 0, 2);
            assertArrayEquals(new byte[]{1, 2, 3}, Files.readAllBytes(out), "the old file stays until commit");
            w.commit();
        }
        assertArrayEquals(new float[]{1, 2, 3, 4}, TensorFiles.readWhole(TensorFiles.inspect(out.toString(), "o")));
        assertEquals(List.of(name), names());
        // an aborted overwrite leaves the old file alone
        try (TensorWriter w = TensorFiles.create(out.toString(), "o", 2, 1, 2, DType.FLOAT32, true)) {
            w.append(new float[]{9, 9}, 0, 1);
        }
        assertArrayEquals(new float[]{1, 2, 3, 4}, TensorFiles.readWhole(TensorFiles.inspect(out.toString(), "o")));
        assertEquals(List.of(name), names());
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void overwriteKeepsTheReplacedFilesMode(boolean hadoop) throws Exception {
        assumeFalse(System.getProperty("os.name").startsWith("Windows"));
        Path out = Files.write(dir.resolve("o.npy"), new byte[]{1, 2, 3});
        Files.setPosixFilePermissions(out, PosixFilePermissions.fromString("rw-------"));
        String path = hadoop ? out.toUri().toString() : out.toString();
        try (TensorWriter w = TensorFiles.create(path, "o", 1, 1, 2, DType.FLOAT32, true, false, hadoop)) {
            w.append(new float[]{1, 2}, 0, 1);
            w.commit();
        }
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(out)));
        assertArrayEquals(new float[]{1, 2}, TensorFiles.readWhole(TensorFiles.inspect(out.toString(), "o")));
    }

    @Test
    void outputOnlyCommitsWhenStillNew() throws Exception {
        Path out = dir.resolve("o.npy");
        try (TensorWriter w = TensorFiles.create(out.toString(), "o", 1, 1, 1, DType.FLOAT32, false)) {
            w.append(new float[]{5}, 0, 1);
            Files.write(out, new byte[]{7});
            UserError e = assertThrows(UserError.class, w::commit);
            IoTestSupport.assertMessage(e, out.toString(), "already exists", "a new path or --overwrite");
        }
        assertArrayEquals(new byte[]{7}, Files.readAllBytes(out));
        assertEquals(List.of("o.npy"), names());
    }

    @Test
    void badOutputPaths() throws Exception {
        String missingDir = dir.resolve("nope/o.npy").toString();
        UserError e = assertThrows(UserError.class,
                () -> TensorFiles.create(missingDir, "o", 1, 1, 1, DType.FLOAT32, false));
        assertEquals(missingDir + ": directory " + dir.resolve("nope") + " does not exist, expected an existing, writable directory",
                e.getMessage());
        Files.createDirectory(dir.resolve("d.arrow"));
        UserError d = assertThrows(UserError.class,
                () -> TensorFiles.create(dir.resolve("d.arrow").toString(), "o", 1, 1, 1, DType.FLOAT32, true));
        assertEquals(dir.resolve("d.arrow") + ": is a directory, expected a file path", d.getMessage());
        UserError ext = assertThrows(UserError.class,
                () -> TensorFiles.create(dir.resolve("o.csv").toString(), "o", 1, 1, 1, DType.FLOAT32, true));
        IoTestSupport.assertMessage(ext, dir.resolve("o.csv").toString(), "unknown extension .csv", ".npy");
        UserError scheme = assertThrows(UserError.class,
                () -> TensorFiles.create("nosuchfs://host/dir/o.npy", "o", 1, 1, 1, DType.FLOAT32, true));
        IoTestSupport.assertMessage(scheme, "nosuchfs://host/dir/o.npy", "no usable file system for scheme 'nosuchfs'");
        assertEquals(List.of("d.arrow"), names());
    }

    @Test
    void unwritableDirectory() throws Exception {
        Path ro = Files.createDirectory(dir.resolve("ro"));
        Files.setPosixFilePermissions(ro, PosixFilePermissions.fromString("r-xr-xr-x"));
        try {
            assumeFalse(Files.isWritable(ro), "running as root: permissions are not enforced");
            String out = ro.resolve("o.npy").toString();
            UserError e = assertThrows(UserError.class, () -> TensorFiles.create(out, "o", 1, 1, 1, DType.FLOAT32, false));
            assertEquals(out + ": directory " + ro + " is not writable, expected an existing, writable directory", e.getMessage());
        } finally {
            Files.setPosixFilePermissions(ro, PosixFilePermissions.fromString("rwxr-xr-x"));
        }
        assertFalse(Files.exists(ro.resolve("o.npy")));
    }
}
