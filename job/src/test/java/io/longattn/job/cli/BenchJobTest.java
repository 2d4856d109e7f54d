package io.longattn.job.cli;

import io.longattn.job.Main;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** bench job: one run prints the job wall, the bare kernel time on the same work, and their ratio. */
class BenchJobTest {
    @TempDir
    Path dir;

    record Outcome(int code, String out, String err) {
    }

    static Outcome bench(String... more) {
        PrintStream oldOut = System.out, oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            String[] base = {"bench", "job", "--seq", "200", "--heads", "2", "--dim", "16", "--causal", "--master", "local[2]",
                    "--reps", "1", "--conf", "spark.longattn.progressSeconds=0"};
            String[] args = java.util.Arrays.copyOf(base, base.length + more.length);
            System.arraycopy(more, 0, args, base.length, more.length);
            int code = Main.execute(args);
            return new Outcome(code, out.toString(StandardCharsets.UTF_8).strip(), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    static double number(String json, String key) {
        Matcher m = Pattern.compile("\"" + key + "\": ([0-9.eE+-]+)").matcher(json);
        assertTrue(m.find(), key + " in " + json);
        return Double.parseDouble(m.group(1));
    }

    @Test
    void printsJobWallKernelTimeAndTheirRatio() {
        Outcome o = bench("--json", "--timeline", "--dir", dir.toString());
        assertEquals(0, o.code(), o.err());
        assertTrue(o.err().contains("| timeline: input_checks"), o.err());
        double job = number(o.out(), "job_seconds"), kernel = number(o.out(), "kernel_seconds"), ratio = number(o.out(), "ratio");
        assertTrue(job > 0 && kernel > 0, o.out());
        assertEquals(job / kernel, ratio, 1e-9 * ratio, o.out());
        assertEquals(2, (int) number(o.out(), "kernel_threads"), "as many parallel units as local[2] has task slots: " + o.out());
        assertTrue(o.out().contains("\"parallel_units\": true"), o.out());
    }

    @Test
    void aKernelTimedOnASampleIsScaledToTheJobsWholeWork() {
        Outcome o = bench("--json", "--dir", dir.toString(), "--kernel-budget", "1e-6");
        assertEquals(0, o.code(), o.err());
        double fraction = number(o.out(), "kernel_sampled_fraction");
        assertTrue(fraction < 1, "a budget of a microsecond times a sample: " + o.out());
        double jobFlops = number(o.out(), "job_gflops") * number(o.out(), "job_seconds");
        double kernelFlops = number(o.out(), "kernel_gflops") * number(o.out(), "kernel_seconds");
        assertEquals(jobFlops, kernelFlops, 1e-6 * jobFlops, "the kernel's time is for the job's whole work: " + o.out());
    }

    @Test
    void theTextLineNamesTheThreeFigures() {
        Outcome o = bench("--dir", dir.toString());
        assertEquals(0, o.code(), o.err());
        assertTrue(Pattern.compile("\\| job [0-9.]+ s \\(.*\\| kernel simd [0-9.]+ s \\(.*2 parallel units, median of 1\\)"
                + " \\| job/kernel [0-9.]+$").matcher(o.out()).find(), o.out());
    }
}
