package io.longattn.job;

import io.longattn.job.cli.Cli;

/**
 * The main class, for bin/longattn and for spark-submit alike (its name is in the README, the launcher
 * and the scripts); the command line itself is {@link Cli}.
 */
public final class Main {
    private Main() {
    }

    public static void main(String[] args) {
        int code = execute(args);
        // spark-submit keeps the JVM alive for non-daemon threads; an explicit exit keeps the status
        System.exit(code);
    }

    /** Runs a command line and returns the exit status (used by main and by tests). */
    public static int execute(String... args) {
        return Cli.execute(args);
    }
}
