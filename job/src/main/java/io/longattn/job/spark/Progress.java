package io.longattn.job.spark;

import java.io.PrintStream;

/**
 * Progress of a long job on the driver: at most one line every few seconds with units done of total,
 * GFLOP/s so far and an estimate of the time left (from the modelled cost of the units done).
 */
final class Progress implements AutoCloseable {
    /** The fraction of the work done from which the time left is estimated. */
    static final double ETA_FROM = 0.05;

    private final Thread thread;
    private volatile boolean stop;

    Progress(UnitProgress units, int totalUnits, long totalPairs, double totalFlops, int seconds, PrintStream out) {
        long start = System.nanoTime();
        thread = new Thread(() -> {
            long last = -1;
            while (!stop) {
                try {
                    Thread.sleep(seconds * 1000L);
                } catch (InterruptedException e) {
                    return;
                }
                // a signal is ending the JVM: its line is the last one
                if (stop || io.longattn.job.Interruption.signal() != null) return;
                long done = Math.min(units.unitsDone(), totalUnits);
                if (done == last && done == totalUnits) continue;
                last = done;
                double elapsed = (System.nanoTime() - start) / 1e9;
                // units differ in cost (causal, windows): the fraction of work is the fraction of pairs
                double frac = Math.min(1.0, (double) units.pairsDone() / Math.max(1, totalPairs));
                String rate = done == 0 ? "" : String.format(", %.1f GFLOP/s so far", frac * totalFlops / elapsed / 1e9);
                // before a twentieth of the work is done the rate is mostly start-up, and the estimate noise
                String eta = frac >= ETA_FROM && frac < 1 ? String.format(", ~%.0f s left", elapsed * (1 - frac) / frac) : "";
                out.printf("longattn: progress %d/%d units, %.0f%% of the work, after %.0f s%s%s%n", done, totalUnits, 100 * frac,
                        elapsed, rate, eta);
            }
        }, "longattn-progress");
        thread.setDaemon(true);
        if (seconds > 0) thread.start();
    }

    @Override
    public void close() {
        stop = true;
        thread.interrupt();
    }
}
