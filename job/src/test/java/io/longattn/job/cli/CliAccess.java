package io.longattn.job.cli;

import java.io.PrintWriter;

/** The CLI's error handler for tests in other packages: what `longattn run` prints and returns for an exception. */
public final class CliAccess {
    private CliAccess() {
    }

    public static int handle(Exception e, PrintWriter err) {
        return Cli.handle(e, false, err);
    }
}
