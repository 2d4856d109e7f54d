package io.longattn.job.scale;

import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerApplicationEnd;
import org.apache.spark.scheduler.SparkListenerExecutorAdded;
import org.apache.spark.scheduler.SparkListenerExecutorRemoved;
import org.apache.spark.scheduler.SparkListenerTaskEnd;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;

/**
 * Counts, in a point's driver, the executors its application had (registered in all, most at once) and
 * those that ran a task, and writes them to the file named by the system property {@value #PROPERTY}
 * when the application ends: the experiment checks that a point of N executors had exactly N. Installed
 * with spark.extraListeners, so Spark replays the executors that registered before the job began.
 */
public final class ExecutorTally extends SparkListener {
    static final String PROPERTY = "longattn.scale.tally";

    private final Set<String> added = new HashSet<>();
    private final Set<String> ranTasks = new HashSet<>();
    private int alive;
    private int peak;

    @Override
    public synchronized void onExecutorAdded(SparkListenerExecutorAdded e) {
        if (added.add(e.executorId())) peak = Math.max(peak, ++alive);
    }

    @Override
    public synchronized void onExecutorRemoved(SparkListenerExecutorRemoved e) {
        if (added.contains(e.executorId())) alive--;
    }

    @Override
    public synchronized void onTaskEnd(SparkListenerTaskEnd e) {
        ranTasks.add(e.taskInfo().executorId());
    }

    @Override
    public synchronized void onApplicationEnd(SparkListenerApplicationEnd e) {
        String path = System.getProperty(PROPERTY);
        if (path == null) return;
        try {
            Files.writeString(Path.of(path), "registered=" + added.size() + "\npeak=" + peak + "\nran_tasks=" + ranTasks.size() + "\n",
                    StandardCharsets.UTF_8);
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
    }
}
