package io.longattn.job;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * User mistakes on the command line: one line on stderr naming the file or flag, exit status 2, no
 * stack trace, nothing written; all caught before Spark starts.
 */
class CliErrorsTest {
    @TempDir
    Path dir;

    record Outcome(int code, String err) {
    }

    static Outcome cli(String... args) {
        PrintStream oldErr = System.err;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        System.setErr(new PrintStream(buf, true, StandardCharsets.UTF_8));
        try {
            int code = Main.execute(args);
            return new Outcome(code, buf.toString(StandardCharsets.UTF_8));
        } finally {
            System.setErr(oldErr);
        }
    }

    String[] inputs(int sq, int sk, int hq, int hkv, int d, int dv) {
        return TestData.write(dir, ".npy", sq, sk, hq, hkv, d, dv, 3);
    }

    void assertUserError(Outcome o, String... fragments) {
        assertEquals(2, o.code(), o.err());
        String line = o.err().strip();
        assertEquals(1, line.lines().count(), "one line: " + o.err());
        assertTrue(line.startsWith("longattn: "), line);
        assertFalse(line.contains("Exception"), line);
        for (String f : fragments) assertTrue(line.contains(f), "'" + f + "' missing in: " + line);
    }

    String[] run(String[] qkv, String out, String... more) {
        String[] base = {"run", "--q", qkv[0], "--k", qkv[1], "--v", qkv[2], "--out", out};
        String[] all = new String[base.length + more.length];
        System.arraycopy(base, 0, all, 0, base.length);
        System.arraycopy(more, 0, all, base.length, more.length);
        return all;
    }

    @Test
    void missingInputFile() {
        String[] qkv = inputs(8, 8, 1, 1, 8, 8);
        String missing = dir.resolve("nope.npy").toString();
        assertUserError(cli(run(new String[]{missing, qkv[1], qkv[2]}, dir.resolve("o.npy").toString())), "nope.npy");
    }

    @Test
    void headDimMismatch() {
        String[] qkv = inputs(8, 8, 1, 1, 8, 8);
        String k = dir.resolve("k16.npy").toString();
        TestData.write(k, "k", 8, 1, 16, new float[8 * 16]);
        assertUserError(cli(run(new String[]{qkv[0], k, qkv[2]}, dir.resolve("o.npy").toString())), "k16.npy", "head_dim 16", "expected 8");
    }

    @Test
    void kvSequenceMismatch() {
        String[] qkv = inputs(8, 8, 1, 1, 8, 8);
        String v = dir.resolve("v9.npy").toString();
        TestData.write(v, "v", 9, 1, 8, new float[9 * 8]);
        assertUserError(cli(run(new String[]{qkv[0], qkv[1], v}, dir.resolve("o.npy").toString())), "v9.npy", "sequence length 9");
    }

    @Test
    void headsNotMultiple() {
        String q = dir.resolve("q3.npy").toString();
        String[] qkv = inputs(8, 8, 2, 2, 8, 8);
        TestData.write(q, "q", 8, 3, 8, new float[8 * 3 * 8]);
        assertUserError(cli(run(new String[]{q, qkv[1], qkv[2]}, dir.resolve("o.npy").toString())), "does not divide", "heads 3");
    }

    @Test
    void badScaleSoftcapWindowAndChunks() {
        String[] qkv = inputs(8, 8, 1, 1, 8, 8);
        String out = dir.resolve("o.npy").toString();
        assertUserError(cli(run(qkv, out, "--scale", "-1")), "--scale", "expected a finite number > 0");
        assertUserError(cli(run(qkv, out, "--scale", "0")), "--scale");
        assertUserError(cli(run(qkv, out, "--scale", "NaN")), "--scale");
        assertUserError(cli(run(qkv, out, "--softcap", "0")), "--softcap");
        assertUserError(cli(run(qkv, out, "--window", "-2,-3")), "--window", "below -1");
        assertUserError(cli(run(qkv, out, "--window", "a,b")), "--window", "not two integers");
        assertUserError(cli(run(qkv, out, "--q-chunk", "-1")), "--q-chunk", "expected an integer in 0..");
        assertUserError(cli(run(qkv, out, "--q-chunk", "x")), "--q-chunk");
        assertUserError(cli(run(qkv, out, "--kv-chunk", "-4")), "--kv-chunk");
        assertUserError(cli(run(qkv, out, "--kv-chunk", "999999999")), "--kv-chunk");
        assertFalse(Files.exists(Path.of(out)));
    }

    @Test
    void badSettingValuesNameTheFlagOrKeyBeforeSparkStarts() {
        String[] qkv = inputs(8, 8, 1, 1, 8, 8);
        String out = dir.resolve("o.npy").toString();
        assertUserError(cli(run(qkv, out, "--balance", "fair")), "--balance", "'fair'", "expected one of guided, lpt, none");
        assertUserError(cli(run(qkv, out, "--strategy", "magic")), "--strategy", "broadcast");
        assertUserError(cli(run(qkv, out, "--threads", "0")), "--threads", "1..256");
        assertUserError(cli(run(qkv, out, "--precision", "fp8")), "--precision", "fp32, tf32, fp16, bf16");
        assertUserError(cli(run(qkv, out, "--precision", "bf16", "--kernel", "simd")), "--precision",
                "bf16 is not computed by kernel simd", "run on kernel cuda");
        assertUserError(cli(run(qkv, out, "--task-memory", "lots")), "--task-memory", "256m");
        // bench kernel takes the same --precision: the CPU kernels refuse 16-bit, a bad value is named
        assertUserError(cli("bench", "kernel", "--seq", "64", "--heads", "1", "--dim", "8", "--precision", "bf16"), "--precision",
                "bf16 is not computed by kernel simd");
        assertUserError(cli("bench", "kernel", "--seq", "64", "--heads", "1", "--dim", "8", "--kernel", "all", "--precision", "fp16"),
                "--precision", "fp16 is not computed");
        assertUserError(cli("bench", "kernel", "--seq", "64", "--heads", "1", "--dim", "8", "--precision", "fp8"), "--precision",
                "fp32, tf32, fp16, bf16");
        assertUserError(cli(run(qkv, out, "--conf", "spark.longattn.progressSeconds=-3")), "spark.longattn.progressSeconds");
        assertUserError(cli(run(qkv, out, "--conf", "spark.longattn.nope=1")), "--conf", "unknown setting spark.longattn.nope");
        assertUserError(cli(run(qkv, out, "--conf", "novalue")), "--conf", "KEY=VALUE");
        assertUserError(cli(run(qkv, out, "--master", "spark://127.0.0.1:9", "--conf", "spark.executor.memory=lots")),
                "spark.executor.memory=lots is not a memory size", "3072m");
        assertUserError(cli("plan", "--seq", "64", "--heads", "1", "--dim", "8", "--task-memory", "-1"), "--task-memory");
        assertFalse(Files.exists(Path.of(out)));
    }

    @Test
    void chunkZeroMeansChoose() throws Exception {
        String[] qkv = inputs(40, 40, 1, 1, 8, 8);
        Path out = dir.resolve("o.npy");
        Outcome o = cli(run(qkv, out.toString(), "--q-chunk", "0", "--kv-chunk", "0", "--master", "local[1]",
                "--conf", "spark.longattn.progressSeconds=0"));
        assertEquals(0, o.code(), o.err());
        assertTrue(Files.exists(out));
    }

    @Test
    void helpAndNoCommand() {
        Outcome none = cli();
        assertEquals(2, none.code());
        assertTrue(none.err().contains("Usage: longattn"), none.err());
        PrintStream oldOut = System.out;
        for (String[] args : new String[][]{{"help"}, {"help", "plan"}}) {
            ByteArrayOutputStream buf = new ByteArrayOutputStream();
            System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
            int code;
            try {
                code = Main.execute(args);
            } finally {
                System.setOut(oldOut);
            }
            assertEquals(0, code, String.join(" ", args));
            String text = buf.toString(StandardCharsets.UTF_8);
            assertTrue(text.startsWith(args.length == 1 ? "Usage: longattn " : "Usage: longattn plan"), text);
        }
    }

    @Test
    void unknownFlagAndMissingRequiredFlag() {
        assertUserError(cli("run", "--bogus"), "--bogus");
        String[] qkv = inputs(8, 8, 1, 1, 8, 8);
        assertUserError(cli("run", "--q", qkv[0], "--k", qkv[1], "--v", qkv[2]), "--out", "missing");
    }

    @Test
    void outputEqualToInputMissingDirOrExisting() throws Exception {
        String[] qkv = inputs(8, 8, 1, 1, 8, 8);
        assertUserError(cli(run(qkv, qkv[0])), "--out", "is also the input --q");
        assertUserError(cli(run(qkv, dir.resolve("missing/o.npy").toString())), "does not exist");
        Path existing = dir.resolve("o.npy");
        Files.writeString(existing, "keep me");
        assertUserError(cli(run(qkv, existing.toString())), "o.npy", "already exists", "--overwrite");
        assertEquals("keep me", Files.readString(existing));
        assertUserError(cli(run(qkv, dir.resolve("o.txt").toString())), "o.txt");
    }

    @Test
    void unavailableOrUnknownKernel() {
        String[] qkv = inputs(8, 8, 1, 1, 8, 8);
        assertUserError(cli(run(qkv, dir.resolve("o.npy").toString(), "--kernel", "fast")), "--kernel", "unknown kernel 'fast'", "expected one of auto");
        assertUserError(cli(run(qkv, dir.resolve("o.npy").toString(), "--kernel", "simd:9x9")), "--kernel");
    }

    @Test
    void nonFiniteInputsAreRefused() {
        String[] qkv = inputs(8, 8, 1, 1, 8, 8);
        float[] k = new float[8 * 8];
        k[3 * 8 + 2] = Float.NaN;
        String bad = dir.resolve("knan.npy").toString();
        TestData.write(bad, "k", 8, 1, 8, k);
        assertUserError(cli(run(new String[]{qkv[0], bad, qkv[2]}, dir.resolve("o.npy").toString())), "knan.npy", "NaN");
        float[] q = new float[8 * 8];
        q[5] = Float.POSITIVE_INFINITY;
        String badQ = dir.resolve("qinf.npy").toString();
        TestData.write(badQ, "q", 8, 1, 8, q);
        assertUserError(cli(run(new String[]{badQ, qkv[1], qkv[2]}, dir.resolve("o.npy").toString())), "qinf.npy", "Inf");
    }

    @Test
    void taskMemoryTooSmallNamesTheMinimum() {
        String[] qkv = inputs(64, 64, 1, 1, 8, 8);
        assertUserError(cli(run(qkv, dir.resolve("o.npy").toString(), "--task-memory", "1000")), "--task-memory", "at least");
    }

    @Test
    void fullRunThroughTheCommandLine() throws Exception {
        String[] qkv = inputs(100, 100, 2, 1, 16, 16);
        Path out = dir.resolve("o.npy");
        Outcome o = cli(run(qkv, out.toString(), "--causal", "--master", "local[2]", "--q-chunk", "32",
                "--conf", "spark.longattn.progressSeconds=0"));
        assertEquals(0, o.code(), o.err());
        assertTrue(o.err().contains("longattn: done"), o.err());
        assertTrue(o.err().contains("GFLOP/s"), o.err());
        assertTrue(Files.size(out) > 100 * 2 * 16 * 4);
        Outcome again = cli(run(qkv, out.toString(), "--causal", "--master", "local[2]"));
        assertUserError(again, "already exists");
    }

    @Test
    void everyCommandTakesTheHelpThatTheErrorLinesPointTo() {
        String[][] commands = {{"run"}, {"gen"}, {"demo"}, {"plan"}, {"bench", "kernel"}, {"settings"}};
        for (String[] c : commands) {
            String[] bogus = java.util.Arrays.copyOf(c, c.length + 1);
            bogus[c.length] = "--bogus";
            String cmd = String.join(" ", c);
            assertUserError(cli(bogus), "--bogus", "'longattn " + cmd + " --help'");
            PrintStream oldOut = System.out;
            ByteArrayOutputStream buf = new ByteArrayOutputStream();
            System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
            int code;
            try {
                String[] help = java.util.Arrays.copyOf(c, c.length + 1);
                help[c.length] = "--help";
                code = Main.execute(help);
            } finally {
                System.setOut(oldOut);
            }
            assertEquals(0, code, cmd);
            assertTrue(buf.toString(StandardCharsets.UTF_8).startsWith("Usage: longattn " + cmd), cmd + ": " + buf);
        }
    }
}
