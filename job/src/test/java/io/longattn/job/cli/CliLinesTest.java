package io.longattn.job.cli;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Lines of the command line itself: picocli's parse errors escaped, the plan's shape flags held to what a job can plan. */
class CliLinesTest {
    static String[] run(String... args) {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream old = System.err;
        int rc;
        try {
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            rc = Cli.execute(args);
        } finally {
            System.setErr(old);
        }
        return new String[]{String.valueOf(rc), err.toString(StandardCharsets.UTF_8)};
    }

    @Test
    void parseErrorsAreEscaped() {
        String[] r = run("plan", "--seq", "1\u001b[2K\r", "--heads", "1", "--dim", "8");
        assertEquals("2", r[0], r[1]);
        assertEquals(1, r[1].lines().count(), r[1]);
        assertEquals(-1, r[1].indexOf('\u001b'), r[1]);
        assertEquals(-1, r[1].indexOf('\r'), r[1]);
        String[] u = run("run", "--q\u001b[31m=x");
        assertEquals("2", u[0], u[1]);
        assertEquals("longattn: --q\\x1b[31m: unknown option for 'run', expected one of the options in 'longattn run --help'\n", u[1]);
    }

    @Test
    void planRefusesSequencesAJobCannotPlan() {
        String[] r = run("plan", "--seq", "2147483647", "--heads", "1", "--dim", "8");
        assertEquals("2", r[0], r[1]);
        assertEquals("longattn: --seq: 2147483647 tokens is more than a job can plan, expected at most 1073741824 tokens (2^30)\n", r[1]);
        String[] k = run("plan", "--seq", "16", "--kv-seq", "1073741825", "--heads", "1", "--dim", "8");
        assertEquals("longattn: --kv-seq: 1073741825 tokens is more than a job can plan, expected at most 1073741824 tokens (2^30)\n", k[1]);
    }
}
