package io.longattn.job;

import org.apache.spark.SparkStageInfo;
import org.apache.spark.api.java.JavaSparkContext;

import java.io.PrintStream;

/**
 * Progress of a long job on the driver: at most one line every few seconds with the compute stage's
 * finished tasks, the work they carried (from the plan's partition costs), GFLOP/s so far and an
 * estimate of the time left.
 */
final class Progress implements AutoCloseable {
    private final Thread thread;
    private volatile boolean stop;

    Progress(JavaSparkContext jsc, String jobGroup, String stageName, long[] partitionCosts, double totalFlops, int seconds, PrintStream out) {
        long total = 0;
        for (long c : partitionCosts) total += c;
        final long totalCost = Math.max(1, total);
        long start = System.nanoTime();
        thread = new Thread(() -> {
            int lastDone = -1;
            while (!stop) {
                try {
                    Thread.sleep(seconds * 1000L);
                } catch (InterruptedException e) {
                    return;
                }
                if (stop) return;
                SparkStageInfo compute = null;
                for (int job : jsc.statusTracker().getJobIdsForGroup(jobGroup)) {
                    var info = jsc.statusTracker().getJobInfo(job);
                    if (info == null) continue;
                    for (int sid : info.stageIds()) {
                        SparkStageInfo s = jsc.statusTracker().getStageInfo(sid);
                        if (s != null && s.name().startsWith(stageName)) {
                            compute = s;
                        }
                    }
                }
                if (compute == null || compute.numCompletedTasks() == lastDone && lastDone == compute.numTasks()) continue;
                lastDone = compute.numCompletedTasks();
                double elapsed = (System.nanoTime() - start) / 1e9;
                double frac = (double) compute.numCompletedTasks() / compute.numTasks();
                double flopsDone = frac * totalFlops;
                String eta = frac > 0 && frac < 1 ? String.format(", ~%.0f s left", elapsed * (1 - frac) / frac) : "";
                out.printf("longattn: progress %d/%d tasks (%.0f%%), %d running, %.1f GFLOP/s so far%s%n",
                        compute.numCompletedTasks(), compute.numTasks(), 100 * frac, compute.numActiveTasks(),
                        flopsDone / elapsed / 1e9, eta);
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
