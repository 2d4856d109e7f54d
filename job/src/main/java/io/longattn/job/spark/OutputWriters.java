package io.longattn.job.spark;

import io.longattn.job.io.PlacedNpyOutput;

/**
 * Who writes the output rows. Executors write each unit's rows at their final offsets in the hidden
 * temporary file (no result crosses the network or the driver), which needs a .npy output on a file
 * system every executor sees at the same path; the driver receives the results in query order and
 * writes them itself, which works for every format and file system.
 */
public enum OutputWriters {
    /** Executors when every executor runs on the driver's machine and every output is a local .npy file; otherwise the driver. */
    AUTO,
    /** Executors (the output directory must be shared with them: local mode, or a shared file system). */
    EXECUTORS,
    DRIVER;

    /**
     * Whether every output of this job can be written in place: rank-3 .npy outputs of one sequence (the
     * rows of many sequences, and a batch's rank-4 layout, go through the driver).
     */
    static boolean placeable(PlannedJob r) {
        return r.plan().sequences().count() == 1 && r.q().batch() == 0
                && PlacedNpyOutput.placeable(r.out()) && (r.lseOut() == null || PlacedNpyOutput.placeable(r.lseOut()));
    }
}
