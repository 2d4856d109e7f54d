package io.longattn.job.spark;

import io.longattn.job.report.SlotTimes;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.scheduler.AccumulableInfo;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.util.LongAccumulator;
import scala.jdk.javaapi.CollectionConverters;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;

/**
 * Where a compute task's time went, stamped on the executor and read per task on the driver: each task
 * adds to each accumulator once (or once per unit for the sums), and a finished task's own updates reach
 * the listener with its end event. Wall-clock stamps, because executors do not share the driver's
 * monotonic clock.
 */
final class TaskClock implements Serializable {
    private static final long serialVersionUID = 1L;

    /**
     * One successful compute task: stamps in epoch milliseconds, sums in seconds; kernelSeconds is the
     * device's own time on the task's launches (0 for host kernels).
     */
    record Task(String executor, long startedAt, long computingAt, long doneAt, double computeSeconds, double firstUnitSeconds,
                double kernelSeconds) {
    }

    private final LongAccumulator startedAt;
    private final LongAccumulator computingAt;
    private final LongAccumulator doneAt;
    private final LongAccumulator computeNanos;
    private final LongAccumulator firstUnitNanos;
    private final LongAccumulator kernelNanos;

    TaskClock(JavaSparkContext jsc) {
        startedAt = jsc.sc().longAccumulator("longattn.task.startedAt");
        computingAt = jsc.sc().longAccumulator("longattn.task.computingAt");
        doneAt = jsc.sc().longAccumulator("longattn.task.doneAt");
        computeNanos = jsc.sc().longAccumulator("longattn.task.computeNanos");
        firstUnitNanos = jsc.sc().longAccumulator("longattn.task.firstUnitNanos");
        kernelNanos = jsc.sc().longAccumulator("longattn.task.kernelNanos");
    }

    void started(long epochMillis) {
        startedAt.add(epochMillis);
    }

    /** Set-up (kernel, K/V source, any warm-up) is over: the first unit starts. */
    void computing(long epochMillis) {
        computingAt.add(epochMillis);
    }

    /** One unit's compute time, and the device's own time on it (0 for a host kernel). */
    void unit(long nanos, boolean first, long deviceNanos) {
        computeNanos.add(nanos);
        if (first) firstUnitNanos.add(nanos);
        if (deviceNanos > 0) kernelNanos.add(deviceNanos);
    }

    void done(long epochMillis) {
        doneAt.add(epochMillis);
    }

    /** What each task slot ran in all, from the tasks' own stamps (see {@link SlotTimes}). */
    static double[] slotSeconds(List<Task> tasks) {
        List<SlotTimes.Span> spans = new ArrayList<>();
        for (Task t : tasks) spans.add(new SlotTimes.Span(t.executor(), t.startedAt(), t.doneAt()));
        return SlotTimes.busySeconds(spans);
    }

    /** Collects the stamps of the tasks that ran units and succeeded. */
    final class Listener extends SparkListener {
        private final List<Task> tasks = new ArrayList<>();
        private volatile double submittedAt;

        /** When the driver asked for the results (timeline seconds). */
        void submittedAt(double seconds) {
            submittedAt = seconds;
        }

        double submittedAt() {
            return submittedAt;
        }

        @Override
        public void onTaskEnd(SparkListenerTaskEnd end) {
            if (!end.taskInfo().successful()) return;
            long started = value(end, startedAt), computing = value(end, computingAt), done = value(end, doneAt);
            if (started == 0 || computing == 0 || done == 0) return;
            synchronized (this) {
                tasks.add(new Task(end.taskInfo().executorId(), started, computing, done, value(end, computeNanos) / 1e9, value(end, firstUnitNanos) / 1e9,
                        value(end, kernelNanos) / 1e9));
            }
        }

        synchronized List<Task> tasks() {
            return new ArrayList<>(tasks);
        }

        synchronized double[] slotSeconds() {
            return TaskClock.slotSeconds(tasks);
        }

        private long value(SparkListenerTaskEnd end, LongAccumulator acc) {
            for (AccumulableInfo a : CollectionConverters.asJava(end.taskInfo().accumulables())) {
                if (a.id() == acc.id() && a.update().isDefined() && a.update().get() instanceof Number n) return n.longValue();
            }
            return 0;
        }
    }
}
