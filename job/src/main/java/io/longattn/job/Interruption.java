package io.longattn.job;

import io.longattn.job.io.TensorFiles;

import java.io.OutputStream;
import java.io.PrintStream;

/**
 * SIGINT and SIGTERM during a job: one line saying so, the temporary outputs removed, and the shell's
 * exit status for the signal (130, 143). Without this the JVM's exit stops Spark under the running job,
 * whose failure would be reported as a bug with a trace.
 */
public final class Interruption {
    private static volatile String signal;
    private static volatile boolean finished;
    private static boolean installed;

    private Interruption() {
    }

    /** The signal that is ending this JVM, or null. */
    public static String signal() {
        return signal;
    }

    /** A job starts: installs the handlers (once per JVM); err receives the line. */
    public static synchronized void jobStarted(PrintStream err) {
        finished = false;
        if (installed) return;
        installed = true;
        for (String[] s : new String[][]{{"INT", "130"}, {"TERM", "143"}}) {
            try {
                sun.misc.Signal.handle(new sun.misc.Signal(s[0]), sig -> {
                    if (signal != null) return;
                    signal = "SIG" + s[0];
                    silenceLogging();
                    // and what writes to System.err itself: Spark's start, cut short, printed "Using Spark's default
                    // log4j profile" after the line below (the line goes to the stream captured above)
                    System.setErr(new PrintStream(OutputStream.nullOutputStream()));
                    // exit from a thread of its own: the handler's thread must not wait for the shutdown hooks
                    new Thread(() -> System.exit(Integer.parseInt(s[1])), "longattn-interrupt").start();
                });
            } catch (IllegalArgumentException | UnsupportedOperationException e) {
                // the signal is reserved here (-Xrs, a debugger): the JVM's default applies
            }
        }
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            if (signal == null || finished) return;
            int removed = TensorFiles.abandonUnfinished();
            err.println("longattn: interrupted by " + signal + "; nothing was written"
                    + (removed > 0 ? " (" + removed + " temporary output" + (removed == 1 ? "" : "s") + " removed)" : ""));
            err.flush();
        }, "longattn-interrupted"));
    }

    /** Spark stopping under a running job logs rejected tasks and lost stages: noise once the user ended it. */
    private static void silenceLogging() {
        try {
            org.apache.logging.log4j.core.config.Configurator.setAllLevels(org.apache.logging.log4j.LogManager.ROOT_LOGGER_NAME,
                    org.apache.logging.log4j.Level.OFF);
        } catch (LinkageError | RuntimeException e) {
            // another logging backend: its lines stay
        }
    }

    /** The job's outputs are committed: a signal now ends the JVM without a line. */
    public static void finished() {
        finished = true;
    }
}
