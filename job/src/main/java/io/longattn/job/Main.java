package io.longattn.job;

import io.longattn.job.cli.Cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The main class, for bin/longattn and for spark-submit alike (its name is in the README, the launcher
 * and the scripts); the command line itself is {@link Cli}.
 */
public final class Main {
    private Main() {
    }

    public static void main(String[] args) {
        int code = execute(args);
        if (code == 0) markClassArchiveUsable();
        // spark-submit keeps the JVM alive for non-daemon threads; an explicit exit keeps the status
        System.exit(code);
    }

    /**
     * bin/longattn dumps the classes of a command's first launch into a class-data archive, and keeps it only
     * when this file exists: a launch that failed (a mistyped flag) loaded a fraction of the command's classes.
     */
    private static void markClassArchiveUsable() {
        String marker = System.getProperty("longattn.cds.succeeded");
        if (marker == null) return;
        try {
            Files.createFile(Path.of(marker));
        } catch (IOException | RuntimeException e) {
            // the dump is then dropped, and the next launch makes another
        }
    }

    /** Runs a command line and returns the exit status (used by main and by tests). */
    public static int execute(String... args) {
        return Cli.execute(args);
    }
}
