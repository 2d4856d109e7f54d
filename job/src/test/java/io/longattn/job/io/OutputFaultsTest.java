package io.longattn.job.io;

import io.longattn.job.UserError;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Output faults: racing commits, outputs committed as one, dead jobs' temporary files, a full disk. */
class OutputFaultsTest {
    @TempDir
    Path dir;

    List<String> names(Path d) throws Exception {
        try (Stream<Path> s = Files.list(d)) {
            return s.map(p -> p.getFileName().toString()).sorted().collect(Collectors.toList());
        }
    }

    static TensorWriter filled(String path, float value) throws Exception {
        TensorWriter w = TensorFiles.create(path, "o", 4, 1, 2, DType.FLOAT32, false);
        float[] x = new float[8];
        java.util.Arrays.fill(x, value);
        w.append(x, 0, 4);
        return w;
    }

    /** Two writers of the same new path commit at the same moment: one wins, the other gets one line; never both. */
    @Test
    void racingCommitsNeverBothSucceed() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            for (int round = 0; round < 300; round++) {
                String path = dir.resolve("o" + round + ".npy").toString();
                CyclicBarrier barrier = new CyclicBarrier(2);
                List<Future<Float>> results = new ArrayList<>();
                for (int t = 0; t < 2; t++) {
                    float value = t + 1;
                    results.add(pool.submit(() -> {
                        try (TensorWriter w = filled(path, value)) {
                            w.finish();
                            barrier.await(10, TimeUnit.SECONDS);
                            w.commit();
                            return value;
                        } catch (UserError e) {
                            assertTrue(e.getMessage().contains("already exists (it appeared while the output was being written)"),
                                    e.getMessage());
                            return 0f;
                        }
                    }));
                }
                float a = results.get(0).get(), b = results.get(1).get();
                assertTrue((a == 0) != (b == 0), "round " + round + ": exactly one commit succeeds, got " + a + " and " + b);
                float winner = Math.max(a, b);
                assertEquals(winner, TensorFiles.readAll(path, "o")[0], "round " + round + ": the file holds the winner's rows");
            }
        } finally {
            pool.shutdownNow();
        }
        assertTrue(names(dir).stream().noneMatch(n -> n.contains(".tmp-")), names(dir).toString());
    }

    /** A group whose second output's name appears before the commit publishes nothing. */
    @Test
    void outputsCommitTogetherOrNotAtAll() throws Exception {
        String o = dir.resolve("o.npy").toString(), lse = dir.resolve("lse.arrow").toString(), report = dir.resolve("r.json").toString();
        try (OutputGroup g = new OutputGroup()) {
            g.add(filled(o, 1)).finish();
            TensorWriter l = g.add(TensorFiles.createLse(lse, 4, 1, false));
            l.append(new float[4], 0, 4);
            g.addText(report, "{}\n", true);
            Files.writeString(Path.of(lse), "someone else's"); // appears while the job runs
            UserError e = assertThrows(UserError.class, g::commit);
            assertEquals(lse + ": already exists (it appeared while the output was being written); nothing was written,"
                    + " expected a new path or --overwrite", e.getMessage());
        }
        assertEquals(List.of("lse.arrow"), names(dir));
        assertEquals("someone else's", Files.readString(Path.of(lse)));

        Files.delete(Path.of(lse));
        Files.writeString(Path.of(report), "old report");
        try (OutputGroup g = new OutputGroup()) {
            g.add(filled(o, 1));
            TensorWriter l = g.add(TensorFiles.createLse(lse, 4, 1, false));
            l.append(new float[]{1, 2, 3, 4}, 0, 4);
            g.addText(report, "{\"ok\": 1}\n", true);
            g.commit();
        }
        assertEquals(List.of("lse.arrow", "o.npy", "r.json"), names(dir));
        assertEquals("{\"ok\": 1}\n", Files.readString(Path.of(report)));
        assertArrayEquals(new float[]{1, 2, 3, 4}, TensorFiles.readAll(lse, TensorFiles.LSE));
    }

    /** A dead job's temporary file (no lock, unchanged for a while) goes; a live writer's stays. */
    @Test
    void deadJobsTemporaryFilesAreRemovedLiveOnesKept() throws Exception {
        Path stale = dir.resolve(".o.npy.tmp-1234abcd");
        Files.write(stale, new byte[128]);
        Files.setLastModifiedTime(stale, FileTime.fromMillis(System.currentTimeMillis() - 60_000));
        Path fresh = dir.resolve(".o.npy.tmp-5678");
        Files.write(fresh, new byte[128]); // just written: perhaps a writer between create and lock
        Path other = dir.resolve(".p.npy.tmp-9999");
        Files.write(other, new byte[1]);
        Files.setLastModifiedTime(other, FileTime.fromMillis(System.currentTimeMillis() - 60_000));
        Path locked = dir.resolve(".o.npy.tmp-4444");
        Files.write(locked, new byte[8]);
        Files.setLastModifiedTime(locked, FileTime.fromMillis(System.currentTimeMillis() - 60_000));
        Process holder = lockInAnotherProcess(locked);
        try {
            String o = dir.resolve("o.npy").toString();
            try (TensorWriter w = filled(o, 1)) {
                // a second writer of the same output in this JVM must not take the first one's file for a dead job's
                Files.setLastModifiedTime(Path.of(((NpyTensorWriter) w).output().tempPath()), FileTime.fromMillis(0));
                try (TensorWriter w2 = filled(o, 2)) {
                    assertTrue(Files.exists(Path.of(((NpyTensorWriter) w).output().tempPath())));
                    w2.commit();
                }
                assertThrows(UserError.class, w::commit);
            }
            assertEquals(List.of(".o.npy.tmp-4444", ".o.npy.tmp-5678", ".p.npy.tmp-9999", "o.npy"), names(dir));
        } finally {
            holder.destroy();
            holder.waitFor(10, TimeUnit.SECONDS);
        }
    }

    /** A JVM that holds a lock on the file (as a live writer does) until it is destroyed. */
    private Process lockInAnotherProcess(Path file) throws Exception {
        Path src = dir.getParent().resolve("Locker" + ProcessHandle.current().pid() + ".java");
        Files.writeString(src, """
                import java.nio.channels.FileChannel;
                import java.nio.file.*;
                public class Locker {
                    public static void main(String[] a) throws Exception {
                        FileChannel ch = FileChannel.open(Path.of(a[0]), StandardOpenOption.WRITE);
                        ch.lock();
                        System.out.println("locked");
                        Thread.sleep(600_000);
                    }
                }
                """);
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(java, src.toString(), file.toString()).redirectErrorStream(true).start();
        String line = new java.io.BufferedReader(new java.io.InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8)).readLine();
        Files.deleteIfExists(src);
        assertEquals("locked", line);
        return p;
    }

    /** A full file system: one line naming the file, the bytes written and needed; nothing left behind. */
    @Test
    void fullDiskIsOneLineAndLeavesNothing() throws Exception {
        Path mnt = Files.createDirectory(dir.resolve("small"));
        boolean mounted;
        try {
            Process p = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", mnt.toString())
                    .redirectErrorStream(true).start();
            mounted = p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (java.io.IOException e) {
            mounted = false;
        }
        assumeTrue(mounted, "needs a small tmpfs (root): mount -t tmpfs");
        try {
            for (String name : new String[]{"o.npy", "o.arrow"}) {
                String path = mnt.resolve(name).toString();
                float[] data = new float[256 * 1024]; // 1 MiB
                UserError e = assertThrows(UserError.class, () -> TensorFiles.writeWhole(path, "o", 1024, 4, 64, data));
                assertTrue(e.getMessage().startsWith(path + ": cannot be written (No space left on device) after "), e.getMessage());
                assertTrue(e.getMessage().contains(" bytes, about " + (1048576 + (name.endsWith(".npy") ? 128 : 1024)) + " needed;"
                        + " nothing was written, expected about "), e.getMessage());
                assertEquals(List.of(), names(mnt));
            }
        } finally {
            new ProcessBuilder("umount", mnt.toString()).start().waitFor(10, TimeUnit.SECONDS);
        }
        assertFalse(Files.exists(mnt.resolve("o.npy")));
    }
}
