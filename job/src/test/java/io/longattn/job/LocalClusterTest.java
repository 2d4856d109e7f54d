package io.longattn.job;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The job on real executor JVMs: Spark's local-cluster master starts a standalone Master and Workers
 * in the driver JVM, and the Workers launch separate executor processes, so tasks, Kryo-serialized
 * results and the Arrow broadcast cross process boundaries. The output must be byte-identical to a
 * local[1] run, whether the executors read K/V from the files and write in place (they run on this
 * machine) or receive Spark's broadcast and send their rows to the driver (as on several machines). Executors need SPARK_HOME with a jars/ folder (empty: the classpath travels in
 * spark.executor.extraClassPath) and SPARK_SCALA_VERSION, so the driver runs as a child process.
 */
class LocalClusterTest {
    @TempDir
    Path dir;

    Process start(List<String> args, Path log) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(Arrays.asList(JobLauncher.jvmFlags().split("\\s+")));
        cmd.add("-Xmx512m");
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(Main.class.getName());
        cmd.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
        Path home = Files.createDirectories(dir.resolve("spark-home/jars"));
        Map<String, String> env = pb.environment();
        env.put("SPARK_HOME", home.getParent().toString());
        env.put("SPARK_SCALA_VERSION", "2.13");
        env.put("SPARK_LOCAL_IP", "127.0.0.1");
        env.put("SPARK_LOCAL_DIRS", Files.createDirectories(dir.resolve("spark-local")).toString());
        return pb.start();
    }

    @Test
    void twoExecutorJvmsGiveTheSameBytesAsOneThread() throws Exception {
        String[] qkv = TestData.write(dir, ".npy", 600, 600, 4, 2, 32, 32, 21);
        String cp = System.getProperty("java.class.path");
        List<String> common = List.of("run", "--q", qkv[0], "--k", qkv[1], "--v", qkv[2], "--causal", "--q-chunk", "64",
                "--conf", "spark.longattn.progressSeconds=0");
        Path clusterOut = dir.resolve("cluster.npy"), torrentOut = dir.resolve("torrent.npy"), localOut = dir.resolve("local.npy");
        List<String> clusterConf = List.of("--master", "local-cluster[2,1,1024]", "--partitions", "6",
                "--conf", "spark.executor.extraClassPath=" + cp, "--conf", "spark.executor.memory=1024m");
        // the executors run on this machine: each reads K/V from the files and writes its rows in place
        List<String> cluster = new ArrayList<>(common);
        cluster.addAll(clusterConf);
        cluster.addAll(List.of("--out", clusterOut.toString()));
        // as on a cluster of several machines: K/V in Spark's torrent broadcast, results through the driver
        List<String> torrent = new ArrayList<>(common);
        torrent.addAll(clusterConf);
        torrent.addAll(List.of("--out", torrentOut.toString(), "--conf", "spark.longattn.broadcastVia=spark",
                "--conf", "spark.longattn.outputWriters=driver"));
        List<String> local = new ArrayList<>(common);
        local.addAll(List.of("--out", localOut.toString(), "--master", "local[1]", "--partitions", "1"));
        Map<List<String>, String> startLine = Map.of(
                cluster, "; each executor reads them from the files once: local-cluster master: every executor on this machine)",
                torrent, "; Spark's torrent broadcast: requested)",
                local, "; read once, in the driver's JVM, where the tasks run)");
        for (List<String> args : List.of(cluster, torrent, local)) {
            Path log = dir.resolve("log-" + args.hashCode() + ".txt");
            Process p = start(args, log);
            boolean done = p.waitFor(4, TimeUnit.MINUTES);
            if (!done) p.destroyForcibly();
            String text = Files.readString(log, StandardCharsets.UTF_8);
            assertTrue(done, "finished in time: " + text);
            assertEquals(0, p.exitValue(), text);
            assertTrue(text.contains("longattn: done"), text);
            assertTrue(text.contains(startLine.get(args)), "start line says how K/V travel: " + text);
        }
        assertArrayEquals(Files.readAllBytes(localOut), Files.readAllBytes(clusterOut));
        assertArrayEquals(Files.readAllBytes(localOut), Files.readAllBytes(torrentOut));
    }
}
