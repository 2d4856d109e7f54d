package io.longattn.job.strategy;

/** How broadcast K/V reach each executor JVM. */
public enum BroadcastVia {
    /** Files when every executor runs on the driver's machine, else Spark. */
    AUTO,
    /** Each executor reads the input files once (on a local master, the driver's JVM does, for its tasks). */
    FILES,
    /** Spark's torrent broadcast of Arrow IPC record batches, decoded once per executor. */
    SPARK;

    /** Whether executors read the files, given where they run. */
    public boolean files(boolean executorsOnThisMachine) {
        return this == FILES || this == AUTO && executorsOnThisMachine;
    }
}
