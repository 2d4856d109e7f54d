package io.longattn.job;

import io.longattn.job.cli.Cli;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * bin/local-cluster as the README uses it: start a standalone Master and two Workers, run a job on
 * them without --partitions (it plans for both executors and says so), stop the cluster, and nothing it
 * started is left running.
 */
class LocalClusterScriptTest {
    @TempDir
    Path dir;

    String script(Path state, String... args) throws Exception {
        return ClusterScript.run(state, args);
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

            // the driver runs here: only the executors need the cluster's SPARK_HOME, and the workers have it;
            // no --partitions: the job waits for the two executors and plans for both
            String cp = System.getProperty("java.class.path");
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            PrintStream oldErr = System.err;
            int rc;
            try {
                System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
                rc = Cli.execute("run", "--q", qkv[0], "--k", qkv[1], "--v", qkv[2], "--out", dir.resolve("o.npy").toString(),
                        "--causal", "--master", url, "--conf", "spark.longattn.progressSeconds=0",
                        "--conf", "spark.executor.memory=512m", "--conf", "spark.executor.extraClassPath=" + cp,
                        "--conf", "spark.authenticate=true", "--conf", "spark.authenticate.secret=" + Files.readString(state.resolve("secret")),
                        // executors of a loaded machine may take longer than Spark's 30 s to register
                        "--conf", "spark.scheduler.maxRegisteredResourcesWaitingTime=120s");
            } finally {
                System.setErr(oldErr);
            }
            String log = err.toString(StandardCharsets.UTF_8);
            assertEquals(0, rc, log);
            Matcher start = Pattern.compile("\\| (\\d+) partitions?: (.*) \\((balanced|contiguous|guided)\\)").matcher(log);
            assertTrue(start.find(), log);
            assertEquals("2", start.group(1), log);
            assertTrue(start.group(2).matches("2 executors x 1 core registered after \\d+\\.\\d s"), start.group(2));
            assertTrue(log.contains("each executor reads them from the files once: master " + url + " on a loopback address"), log);
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
