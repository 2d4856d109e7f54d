package io.longattn.job;

import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.PrintStream;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * JobLauncher.launch starts Spark on a thread of its own while the driver scans, plans and warms the kernel:
 * the timeline still has every phase in start order, the job waits for Spark before its first Spark phase,
 * and a user mistake or a signal during the start still ends in one line, with no context left running.
 */
class OverlappedStartTest {
    @TempDir
    Path dir;

    @Test
    void everyPhaseIsReportedInStartOrderAndTheJobWaitsForSpark() throws Exception {
        String[] qkv = TestData.write(dir, ".npy", 300, 300, 2, 2, 32, 32, 61);
        String report = dir.resolve("report.json").toString();
        JobLauncher.launch(JobRequest.builder(qkv[0], qkv[1], qkv[2], dir.resolve("o.npy").toString()).causal(true)
                .master("local[2]").report(report).conf("spark.longattn.progressSeconds", "0")
                .conf("spark.longattn.localWarmupMillis", "5000").build(), new PrintStream(java.io.OutputStream.nullOutputStream()));
        String timeline = Files.readString(Path.of(report)).split("\"timeline\": ")[1];
        Matcher m = Pattern.compile("\"(\\w+)\": \\{\"start\": ([0-9.]+), \"seconds\": ([0-9.]+)").matcher(timeline);
        List<String> names = new ArrayList<>();
        double lastStart = 0, sparkUp = -1, firstSparkPhase = -1;
        while (m.find()) {
            String name = m.group(1);
            double start = Double.parseDouble(m.group(2)), end = start + Double.parseDouble(m.group(3));
            assertTrue(start >= lastStart, name + " starts before the phase listed above it: " + timeline);
            lastStart = start;
            if (name.equals("spark_start")) sparkUp = end;
            if (name.equals("assignment")) firstSparkPhase = start;
            if (!name.equals("kernel_warmup")) names.add(name); // none when Spark was up before the warm-up began
        }
        assertEquals(List.of("input_checks", "spark_start", "nonfinite_scan", "planning", "assignment", "kv_distribution",
                "scheduling", "executor_setup", "compute", "output", "commit"), names, timeline);
        // the report rounds starts and lengths to milliseconds: their sum may pass the next start by one
        assertTrue(sparkUp <= firstSparkPhase + 1e-3, "the job's Spark phases begin once Spark is up: " + timeline);
    }

    @Test
    void aNonFiniteValueFoundWhileSparkStartsLeavesNoContextRunning() throws Exception {
        String[] qkv = withNaN();
        UserError e = assertThrows(UserError.class, () -> JobLauncher.launch(JobRequest.builder(qkv[0], qkv[1], qkv[2],
                dir.resolve("o.npy").toString()).master("local[1]").build(), new PrintStream(java.io.OutputStream.nullOutputStream())));
        assertTrue(e.getMessage().contains("q.npy"), e.getMessage());
        // Spark refuses a second running context in a JVM: this one starts only if the job's was stopped
        new JavaSparkContext(new SparkConf().setMaster("local[1]").setAppName("after")).close();
    }

    @Test
    void aNonFiniteValueFoundWhileSparkStartsIsOneLineAndExit2() throws Exception {
        String[] qkv = withNaN();
        Path log = dir.resolve("log.txt");
        // Spark is starting when the scan finds it: Spark's own INFO lines are kept out by the log4j2 configuration that
        // bin/longattn passes (without one, Spark's default profile logs its start before the line)
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        cmd.addAll(List.of(JobLauncher.jvmFlags().split("\\s+")));
        cmd.addAll(List.of("-Xmx512m", "-Dlog4j2.configurationFile=file:" + Path.of("..", "conf", "log4j2.properties").toAbsolutePath(),
                "-cp", System.getProperty("java.class.path"), Main.class.getName(), "run", "--q", qkv[0], "--k", qkv[1], "--v", qkv[2],
                "--out", dir.resolve("o.npy").toString(), "--master", "local[1]"));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        assertTrue(p.waitFor(2, TimeUnit.MINUTES));
        List<String> lines = lines(log);
        assertEquals(2, p.exitValue(), String.join("\n", lines));
        assertEquals(1, lines.size(), String.join("\n", lines));
        assertTrue(lines.get(0).startsWith("longattn: " + qkv[0] + ": ") && lines.get(0).contains("finite values"), lines.get(0));
    }

    /** SIGTERM soon after the JVM is up, most likely while Spark starts: exit 143, no trace, nothing written. */
    @Test
    void sigtermDuringTheStartEndsWithoutATraceOrAnOutput() throws Exception {
        String[] qkv = TestData.write(dir, ".npy", 4096, 4096, 2, 2, 32, 32, 62);
        Path log = dir.resolve("log.txt");
        Process p = JobFaultsTest.longattn(log, Map.of(), "run", "--q", qkv[0], "--k", qkv[1], "--v", qkv[2], "--out",
                dir.resolve("o.npy").toString(), "--master", "local[2]", "--conf", "spark.longattn.kernel=scalar");
        for (int i = 0; i < 600 && p.isAlive() && Files.readString(log).isEmpty(); i++) Thread.sleep(50);
        Thread.sleep(1500);
        p.destroy();
        assertTrue(p.waitFor(1, TimeUnit.MINUTES));
        List<String> lines = lines(log);
        assertEquals(143, p.exitValue(), String.join("\n", lines));
        assertTrue(lines.stream().noneMatch(l -> l.contains("Exception") || l.startsWith("\tat ")), String.join("\n", lines));
        if (!lines.isEmpty()) {
            assertTrue(lines.get(lines.size() - 1).startsWith("longattn: interrupted by SIGTERM; nothing was written"), String.join("\n", lines));
        }
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(List.of("k.npy", "log.txt", "q.npy", "v.npy"), files.map(f -> f.getFileName().toString()).sorted().toList());
        }
    }

    /** Inputs whose last query value is NaN. */
    private String[] withNaN() throws IOException {
        String[] qkv = TestData.write(dir, ".npy", 64, 64, 1, 1, 8, 8, 63);
        try (RandomAccessFile f = new RandomAccessFile(qkv[0], "rw")) {
            f.seek(f.length() - 4);
            f.write(new byte[]{0, 0, (byte) 0xc0, 0x7f}); // little-endian float NaN
        }
        return qkv;
    }

    /** The log without the JVM's own WARNING lines (incubator modules; on JDK 25 an --add-opens of a package it lacks). */
    private static List<String> lines(Path log) throws IOException {
        return Files.readAllLines(log, StandardCharsets.UTF_8).stream().filter(l -> !l.startsWith("WARNING: ")).collect(Collectors.toList());
    }
}
