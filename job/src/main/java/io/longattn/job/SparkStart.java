package io.longattn.job;

import io.longattn.job.report.Timeline;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;

import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;

/**
 * A SparkContext started on a thread of its own, so that the driver scans the inputs, plans and (on a local
 * master, where it is the executor) warms the kernel while Spark spends its second or two starting. Closing
 * stops the context, waiting for a start still under way: a job that fails before it needs Spark (a NaN in
 * the inputs) leaves no context behind, and its error stays the one thing reported.
 */
final class SparkStart implements AutoCloseable {
    private final FutureTask<JavaSparkContext> start;
    private final Timeline timeline;
    private final double begun;
    private volatile double ready = -1;

    private SparkStart(SparkConf conf, Timeline timeline) {
        this.timeline = timeline;
        this.begun = timeline.now();
        this.start = new FutureTask<>(() -> {
            JavaSparkContext jsc = new JavaSparkContext(conf);
            jsc.setLogLevel("WARN");
            ready = timeline.now();
            return jsc;
        });
    }

    /** Starts Spark with {@code conf} on a daemon thread (a JVM ending for a signal does not wait for it). */
    static SparkStart begin(SparkConf conf, Timeline timeline) {
        SparkStart s = new SparkStart(conf, timeline);
        Thread t = new Thread(s.start, "longattn-spark-start");
        t.setDaemon(true);
        t.start();
        return s;
    }

    /** Whether the start has ended (the context is there, or the start failed). */
    boolean isDone() {
        return start.isDone();
    }

    /**
     * The context, once started; records the spark_start phase. A failed start throws what the SparkContext
     * constructor threw, as if it had run on this thread.
     */
    JavaSparkContext context() {
        JavaSparkContext jsc = await();
        timeline.add("spark_start", begun, ready, null);
        return jsc;
    }

    private JavaSparkContext await() {
        try {
            return start.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while Spark was starting", e);
        } catch (CancellationException e) {
            throw new IllegalStateException("the Spark start was cancelled", e);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof RuntimeException r) throw r;
            if (cause instanceof Error err) throw err;
            throw new IllegalStateException(cause);
        }
    }

    @Override
    public void close() {
        JavaSparkContext jsc;
        try {
            jsc = await();
        } catch (RuntimeException | Error e) {
            // a start that failed has nothing to stop, and its failure was reported by context() or yields to the
            // failure that is closing this
            return;
        }
        jsc.close();
    }
}
