package io.longattn.job;

import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A job under faults of its environment: inputs that change, outputs that cannot be made, signals, the C locale. */
class JobFaultsTest {
    static JavaSparkContext jsc;
    static final PrintStream QUIET = new PrintStream(new ByteArrayOutputStream());
    static final List<String> LOGGED = LoggedWarnings.capture();

    @TempDir
    Path dir;

    @BeforeAll
    static void start() {
        Map<String, String> conf = new HashMap<>();
        conf.put("spark.master", "local[2]");
        jsc = new JavaSparkContext(JobLauncher.sparkConf(conf, null));
        jsc.setLogLevel("WARN");
    }

    @AfterAll
    static void stop() {
        jsc.stop();
    }

    List<String> names() throws Exception {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().collect(Collectors.toList());
        }
    }

    /**
     * Item 1: a same-shape Q moved over the input after the job started: the tasks that open it fail the job with one
     * line naming it, nothing is written, and Spark logs nothing about the failed tasks (item 12).
     */
    @Test
    void inputReplacedWhileTheJobRunsFailsWithOneLineAndWritesNothing() throws Exception {
        String[] qkv = TestData.write(dir, ".npy", 512, 512, 2, 1, 16, 16, 41);
        Path other = Files.createDirectory(dir.resolve("other"));
        String[] replacement = TestData.write(other, ".npy", 512, 512, 2, 1, 16, 16, 42);
        String out = dir.resolve("o.npy").toString();
        JobRequest request = JobRequest.builder(qkv[0], qkv[1], qkv[2], out).lse(dir.resolve("lse.npy").toString())
                .report(dir.resolve("r.json").toString()).conf("spark.longattn.progressSeconds", "0").build();
        JobLauncher.Prepared prepared = JobLauncher.prepare(request, QUIET);
        Files.move(Path.of(replacement[0]), Path.of(qkv[0]), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        LOGGED.clear();
        Exception e = assertThrows(Exception.class, () -> JobLauncher.execute(prepared, jsc, QUIET));
        java.io.StringWriter err = new java.io.StringWriter();
        int code = io.longattn.job.cli.CliAccess.handle(e, new java.io.PrintWriter(err));
        assertEquals(2, code, err.toString());
        assertEquals("longattn: " + qkv[0] + ": changed since it was inspected (another file was moved over it),"
                + " expected an input left unchanged while the job runs\n", err.toString());
        assertEquals(List.of(), LOGGED, "Spark logged the user's error");
        assertEquals(List.of("k.npy", "other", "q.npy", "v.npy"), names());
    }

    /** Item 10: every output's directory is checked before Spark starts; a dangling symbolic link is not a new path. */
    @Test
    void outputsAreCheckedBeforeSparkStarts() throws Exception {
        String[] qkv = TestData.write(dir, ".npy", 16, 16, 1, 1, 8, 8, 43);
        String out = dir.resolve("o.npy").toString();
        String report = dir.resolve("missing/r.json").toString();
        UserError e = assertThrows(UserError.class, () -> JobLauncher.prepare(
                JobRequest.builder(qkv[0], qkv[1], qkv[2], out).report(report).build(), QUIET));
        assertEquals(report + ": directory " + dir.resolve("missing") + " does not exist, expected an existing, writable directory",
                e.getMessage());
        Path link = dir.resolve("dangling.npy");
        Files.createSymbolicLink(link, dir.resolve("nowhere.npy"));
        UserError d = assertThrows(UserError.class, () -> JobLauncher.prepare(
                JobRequest.builder(qkv[0], qkv[1], qkv[2], link.toString()).build(), QUIET));
        assertEquals(link + ": already exists as a symbolic link to a missing file, expected a new path or --overwrite", d.getMessage());
        UserError same = assertThrows(UserError.class, () -> JobLauncher.prepare(
                JobRequest.builder(qkv[0], qkv[1], qkv[2], out).report(out).build(), QUIET));
        assertEquals("--report: " + out + " is also an output path, expected a different path for the report", same.getMessage());
        assertEquals(List.of("dangling.npy", "k.npy", "q.npy", "v.npy"), names());
    }

    static Process longattn(Path log, Map<String, String> env, String... args) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(Arrays.asList(JobLauncher.jvmFlags().split("\\s+")));
        cmd.addAll(List.of("-Xmx512m", "-cp", System.getProperty("java.class.path"), Main.class.getName()));
        cmd.addAll(Arrays.asList(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().putAll(env);
        return pb.start();
    }

    /** Item 6: a non-ASCII output path under the C locale: one line that says why, exit 2. */
    @Test
    void nonAsciiPathUnderTheCLocaleIsOneLine() throws Exception {
        String[] qkv = TestData.write(dir, ".npy", 16, 16, 1, 1, 8, 8, 44);
        Path log = dir.resolve("log.txt");
        Map<String, String> env = new HashMap<>(Map.of("LC_ALL", "C", "LANG", "C"));
        Process p = longattn(log, env, "run", "--q", qkv[0], "--k", qkv[1], "--v", qkv[2], "--out", dir.resolve("\u00f62.npy").toString(),
                "--master", "local[1]");
        assertTrue(p.waitFor(2, TimeUnit.MINUTES));
        List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8).stream()
                .filter(l -> !l.startsWith("WARNING: ")) // the JVM's own: incubator modules, and on JDK 25 an --add-opens of a package it lacks
                .collect(Collectors.toList());
        assertEquals(2, p.exitValue(), String.join("\n", lines));
        assertEquals(1, lines.size(), String.join("\n", lines));
        assertTrue(lines.get(0).matches("longattn: .*2\\.npy: cannot be used as a file name under this locale, whose file name"
                + " encoding \\S+ cannot represent it, expected a UTF-8 locale \\(LANG or LC_ALL=C.UTF-8\\) or an ASCII path"), lines.get(0));
    }

    /** Item 7: SIGTERM during a job: exit 143, one line saying so, no output and no temporary file left. */
    @Test
    void sigtermEndsTheJobWithOneLineAndNothingWritten() throws Exception {
        String[] qkv = TestData.write(dir, ".npy", 8192, 8192, 2, 2, 32, 32, 45);
        Path log = dir.resolve("log.txt");
        Process p = longattn(log, Map.of(), "run", "--q", qkv[0], "--k", qkv[1], "--v", qkv[2], "--out", dir.resolve("o.npy").toString(),
                "--lse", dir.resolve("lse.npy").toString(), "--master", "local[2]", "--conf", "spark.longattn.kernel=scalar",
                "--conf", "spark.longattn.progressSeconds=1");
        for (int i = 0; i < 1200 && p.isAlive() && !Files.readString(log).contains("longattn: progress"); i++) Thread.sleep(100);
        assertTrue(p.isAlive(), Files.readString(log));
        p.destroy(); // SIGTERM
        assertTrue(p.waitFor(1, TimeUnit.MINUTES));
        List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
        assertEquals(143, p.exitValue(), String.join("\n", lines));
        assertTrue(lines.get(lines.size() - 1).startsWith("longattn: interrupted by SIGTERM; nothing was written"), String.join("\n", lines));
        assertTrue(lines.stream().noneMatch(l -> l.contains("Exception") || l.startsWith("\tat ")), String.join("\n", lines));
        assertEquals(List.of("k.npy", "log.txt", "q.npy", "v.npy"), names());
    }
}
