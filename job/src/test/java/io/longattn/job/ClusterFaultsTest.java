package io.longattn.job;

import io.longattn.job.cli.Cli;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Faults on a standalone cluster started by bin/local-cluster (a Master and two Workers, authentication
 * on, no REST server): an executor killed with SIGKILL mid-job, with and without speculation, gives the
 * bytes of a clean run; a job without the cluster's secret gets one line within seconds.
 */
class ClusterFaultsTest {
    @TempDir
    static Path dir;
    static Path state;
    static String url;
    static String secret;
    static String[] qkv;
    static byte[] clean;

    static String script(String... args) throws Exception {
        return ClusterScript.run(state, args);
    }

    @BeforeAll
    static void startCluster() throws Exception {
        state = dir.resolve("cluster");
        // scalar kernel, full attention: long enough on two one-core executors to kill one midway
        qkv = TestData.write(dir, ".npy", 6144, 6144, 2, 1, 32, 32, 31);
        Path out = dir.resolve("clean.npy");
        Result r = run("local[2]", out, List.of());
        assertEquals(0, r.code, r.log);
        clean = Files.readAllBytes(out);
        script("start", "2", "--memory", "768m");
        url = Files.readString(state.resolve("master.url")).strip();
        secret = Files.readString(state.resolve("secret")).strip();
    }

    @AfterAll
    static void stopCluster() throws Exception {
        if (state != null) script("stop");
    }

    record Result(int code, String log) {
    }

    static Result run(String master, Path out, List<String> extra) {
        List<String> args = new ArrayList<>(List.of("run", "--q", qkv[0], "--k", qkv[1], "--v", qkv[2], "--out", out.toString(),
                "--master", master, "--partitions", "8", "--conf", "spark.longattn.kernel=scalar",
                "--conf", "spark.longattn.progressSeconds=1", "--conf", "spark.longattn.strategy=stream"));
        if (master.startsWith("spark:")) {
            args.addAll(List.of("--conf", "spark.executor.memory=512m",
                    "--conf", "spark.executor.extraClassPath=" + System.getProperty("java.class.path")));
        }
        args.addAll(extra);
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream oldErr = System.err;
        int rc;
        try {
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            rc = Cli.execute(args.toArray(String[]::new));
        } finally {
            System.setErr(oldErr);
        }
        return new Result(rc, err.toString(StandardCharsets.UTF_8));
    }

    static List<ProcessHandle> executors() throws Exception {
        List<ProcessHandle> all = new ArrayList<>();
        for (String pid : Files.readAllLines(state.resolve("pids"))) {
            ProcessHandle.of(Long.parseLong(pid.strip())).ifPresent(w -> w.children().forEach(all::add));
        }
        return all;
    }

    /** Runs a job on the cluster and kills one executor (SIGKILL) once units are done; the job must end with the clean bytes. */
    void killAnExecutorMidJob(String name, List<String> extra) throws Exception {
        Path out = dir.resolve(name + ".npy");
        List<String> args = new ArrayList<>(List.of("--conf", "spark.authenticate=true", "--conf", "spark.authenticate.secret=" + secret));
        args.addAll(extra);
        Result[] result = new Result[1];
        Thread job = new Thread(() -> result[0] = run(url, out, args));
        job.start();
        AtomicInteger killed = new AtomicInteger();
        long t0 = System.nanoTime();
        long[] killedPid = new long[1];
        String[] killedAfter = new String[1];
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
        while (job.isAlive() && System.nanoTime() < deadline && killed.get() == 0) {
            List<ProcessHandle> execs = executors();
            if (execs.size() == 2) {
                Thread.sleep(4000); // both executors run tasks by now
                if (job.isAlive()) {
                    killedPid[0] = execs.get(0).pid();
                    killedAfter[0] = String.format("%.1f", (System.nanoTime() - t0) / 1e9);
                    execs.get(0).destroyForcibly();
                    killed.incrementAndGet();
                }
            }
            Thread.sleep(200);
        }
        job.join(TimeUnit.MINUTES.toMillis(4));
        assertFalse(job.isAlive(), "job finished");
        Result r = result[0];
        assertEquals(1, killed.get(), "an executor was killed while the job ran:\n" + r.log);
        assertEquals(0, r.code, r.log);
        assertTrue(r.log.contains("longattn: done"), r.log);
        assertArrayEquals(clean, Files.readAllBytes(out), name + ": the bytes of a clean run");
        System.out.println(name + ": executor " + killedPid[0] + " killed after " + killedAfter[0] + " s; "
                + r.log.lines().filter(l -> l.startsWith("longattn: done")).findFirst().orElse(""));
        // progress never goes backwards, even across the lost executor's units
        long last = -1;
        for (String line : r.log.lines().filter(l -> l.startsWith("longattn: progress ")).collect(Collectors.toList())) {
            long done = Long.parseLong(line.substring("longattn: progress ".length(), line.indexOf('/')));
            assertTrue(done >= last, "progress went from " + last + " to " + done + ":\n" + r.log);
            last = done;
        }
    }

    @Test
    void executorKilledMidJobGivesTheCleanBytes() throws Exception {
        killAnExecutorMidJob("killed", List.of());
    }

    @Test
    void executorKilledMidJobWithSpeculationGivesTheCleanBytes() throws Exception {
        killAnExecutorMidJob("speculative", List.of("--conf", "spark.speculation=true", "--conf", "spark.speculation.multiplier=1.1",
                "--conf", "spark.speculation.quantile=0.25", "--conf", "spark.speculation.interval=200ms"));
    }

    @Test
    void jobWithoutTheSecretGetsOneLineInSeconds() throws Exception {
        long t0 = System.nanoTime();
        Result r = run(url, dir.resolve("refused.npy"), List.of());
        double seconds = (System.nanoTime() - t0) / 1e9;
        assertEquals(2, r.code, r.log);
        assertEquals(1, r.log.lines().count(), r.log);
        assertTrue(r.log.startsWith("longattn: --master: " + url + " did not accept a connection without authentication"), r.log);
        assertTrue(seconds < 30, "answered after " + seconds + " s");
        assertFalse(Files.exists(dir.resolve("refused.npy")));
        Result unreachable = run("spark://127.0.0.1:1", dir.resolve("refused.npy"), List.of());
        assertEquals(2, unreachable.code, unreachable.log);
        assertEquals("longattn: --master: spark://127.0.0.1:1 cannot be reached (127.0.0.1:1: Connection refused), expected a"
                + " running standalone Master (bin/local-cluster url prints it)\n", unreachable.log);
        // the Master runs no REST submission server, which would take jobs without authentication
        assertFalse(Files.readString(state.resolve("master.log")).contains("REST"), Files.readString(state.resolve("master.log")));
    }
}
