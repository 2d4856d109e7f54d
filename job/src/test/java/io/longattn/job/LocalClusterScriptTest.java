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

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * bin/local-cluster as the README uses it: start a standalone Master and two Workers, run a job on
 * them from a separate driver JVM, stop the cluster, and nothing it started is left running.
 */
class LocalClusterScriptTest {
    @TempDir
    Path dir;

    String script(Path state, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("bash", Path.of("..", "bin", "local-cluster").toString()));
        cmd.addAll(Arrays.asList(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        Map<String, String> env = pb.environment();
        env.put("LONGATTN_CLUSTER_DIR", state.toString());
        env.put("LONGATTN_CLASSPATH", System.getProperty("java.class.path"));
        env.put("JAVA_HOME", System.getProperty("java.home"));
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(2, TimeUnit.MINUTES), out);
        assertEquals(0, p.exitValue(), out);
        return out;
    }

    @Test
    void startsTwoWorkersRunsAJobAndStops() throws Exception {
        Path state = dir.resolve("cluster");
        String[] qkv = TestData.write(dir, ".npy", 200, 200, 2, 1, 16, 16, 23);
        try {
            String started = script(state, "start", "2", "--memory", "768m");
            assertTrue(started.contains("2 worker(s)"), started);
            String url = Files.readString(state.resolve("master.url")).strip();
            assertTrue(url.matches("spark://127\\.0\\.0\\.1:\\d+"), url);
            List<String> pids = Files.readAllLines(state.resolve("pids"));
            assertEquals(3, pids.size(), "master and two workers");

            List<String> cmd = new ArrayList<>();
            cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
            cmd.addAll(Arrays.asList(JobLauncher.jvmFlags().split("\\s+")));
            cmd.addAll(List.of("-Xmx512m", "-cp", System.getProperty("java.class.path"), Main.class.getName(), "run",
                    "--q", qkv[0], "--k", qkv[1], "--v", qkv[2], "--out", dir.resolve("o.npy").toString(), "--causal",
                    "--master", url, "--partitions", "2", "--conf", "spark.executor.memory=512m",
                    "--conf", "spark.executor.extraClassPath=" + System.getProperty("java.class.path"),
                    "--conf", "spark.longattn.progressSeconds=0"));
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
            pb.environment().put("SPARK_LOCAL_IP", "127.0.0.1");
            Process driver = pb.start();
            String log = new String(driver.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(driver.waitFor(2, TimeUnit.MINUTES), log);
            assertEquals(0, driver.exitValue(), log);
            assertTrue(log.contains("longattn: done"), log);
            assertTrue(Files.size(dir.resolve("o.npy")) > 200 * 2 * 16 * 4);
            for (int w = 1; w <= 2; w++) {
                try (var apps = Files.list(state.resolve("worker-" + w + "/work"))) {
                    assertTrue(apps.findAny().isPresent(), "worker " + w + " ran an executor");
                }
            }
            assertTrue(script(state, "stop").contains("stopped"));
            for (String pid : pids) {
                assertFalse(ProcessHandle.of(Long.parseLong(pid.strip())).map(ProcessHandle::isAlive).orElse(false),
                        "process " + pid + " still runs");
            }
        } finally {
            script(state, "stop");
        }
    }
}
