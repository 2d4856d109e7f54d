package io.longattn.job;

import io.longattn.job.io.TensorFiles;
import io.longattn.kernels.AttentionSpec;
import io.longattn.kernels.Float64Reference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The stream strategy never holds K/V: 256 queries against 2^20 keys (K+V = 512 MiB on disk) run in a
 * separate local-mode JVM whose heap is capped at 128 MiB (driver and executor are that JVM), and
 * sampled rows match the float64 reference. Spark refuses heaps under 450 MiB for its own memory
 * manager unless spark.testing.memory says how much to plan with; the JVM's real heap stays 128 MiB.
 */
class StreamBoundedMemoryTest {
    @TempDir
    Path dir;

    @Test
    void streamsKeysAndValuesFourTimesTheHeap() throws Exception {
        int sq = 256, sk = 1 << 20, d = 64;
        assertEquals(0, Main.execute("gen", "--seq", String.valueOf(sq), "--kv-seq", String.valueOf(sk), "--heads", "1",
                "--dim", String.valueOf(d), "--out", dir.toString()));
        long kvBytes = Files.size(dir.resolve("k.npy")) + Files.size(dir.resolve("v.npy"));
        assertTrue(kvBytes > 4 * (128L << 20), "K+V is more than 4x the heap: " + kvBytes);

        Path out = dir.resolve("o.npy");
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(Arrays.asList(JobLauncher.jvmFlags().split("\\s+")));
        cmd.add("-Xmx128m");
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(Main.class.getName());
        cmd.addAll(List.of("run", "--master", "local[2]", "--strategy", "stream",
                "--q", dir.resolve("q.npy").toString(), "--k", dir.resolve("k.npy").toString(),
                "--v", dir.resolve("v.npy").toString(), "--out", out.toString(),
                "--conf", "spark.testing.memory=536870912", "--conf", "spark.longattn.progressSeconds=0"));
        Path log = dir.resolve("run.log");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        assertTrue(p.waitFor(5, TimeUnit.MINUTES), "the run finishes");
        String text = Files.readString(log, StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), text);
        assertTrue(text.contains("strategy stream"), text);
        assertTrue(!text.contains("OutOfMemoryError"), text);

        float[] q = TensorFiles.readAll(dir.resolve("q.npy").toString(), "q");
        float[] k = TensorFiles.readAll(dir.resolve("k.npy").toString(), "k");
        float[] v = TensorFiles.readAll(dir.resolve("v.npy").toString(), "v");
        float[] o = TensorFiles.readAll(out.toString(), "o");
        AttentionSpec spec = AttentionSpec.of(sq, sk, 1, 1, d, d);
        double[] ref = new double[d];
        for (int i : new int[]{0, 77, 200, 255}) {
            Float64Reference.row(spec, q, k, v, i, 0, ref);
            for (int c = 0; c < d; c++) {
                // 2^20 keys: float32 sums over a million weights; V is uniform in [-1.7, 1.7]
                assertEquals(ref[c], o[i * d + c], 1e-4, "row " + i + " col " + c);
            }
        }
        File[] left = dir.toFile().listFiles((f, n) -> n.startsWith("."));
        assertEquals(0, left == null ? 0 : left.length, "no temporary files left");
    }
}
