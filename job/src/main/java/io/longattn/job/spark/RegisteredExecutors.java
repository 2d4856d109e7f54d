package io.longattn.job.spark;

import io.longattn.job.plan.PartitionCount;
import org.apache.spark.api.java.JavaSparkContext;

import java.util.HashMap;
import java.util.Map;

/**
 * Waits, on a cluster master, for the executors a job will run on before it is planned: Spark's context
 * is up before any executor has registered, and on a standalone master without spark.cores.max Spark
 * itself does not wait. Bounded by spark.scheduler.maxRegisteredResourcesWaitingTime.
 */
public final class RegisteredExecutors {
    private static final long POLL_MILLIS = 100;

    private RegisteredExecutors() {
    }

    /** The partition count for a job on this context (a cluster master, no count given or configured). */
    public static PartitionCount await(JavaSparkContext jsc) {
        Map<String, String> conf = conf(jsc);
        String master = jsc.master();
        PartitionCount.Expected expected = PartitionCount.expected(conf, master);
        double ratio = PartitionCount.minRegisteredRatio(conf);
        long start = System.nanoTime(), deadline = start + (long) (PartitionCount.maxWaitSeconds(conf) * 1e9);
        int seen = executors(jsc);
        long lastJoin = start;
        while (true) {
            long now = System.nanoTime();
            int n = executors(jsc);
            if (n != seen) {
                seen = n;
                lastJoin = now;
            }
            boolean enough = PartitionCount.enoughRegistered(expected, ratio, n, (now - lastJoin) / 1e9);
            if (enough || now >= deadline) {
                return PartitionCount.registered(conf, master, n, jsc.defaultParallelism(), (now - start) / 1e9, !enough, expected);
            }
            try {
                Thread.sleep(POLL_MILLIS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return PartitionCount.registered(conf, master, n, jsc.defaultParallelism(), (now - start) / 1e9, true, expected);
            }
        }
    }

    /** The context's Spark configuration as a map (what the plan's pure functions read). */
    public static Map<String, String> conf(JavaSparkContext jsc) {
        Map<String, String> conf = new HashMap<>();
        for (scala.Tuple2<String, String> e : jsc.getConf().getAll()) conf.put(e._1(), e._2());
        return conf;
    }

    /** Executors whose block managers registered; the status tracker lists the driver's too. */
    static int executors(JavaSparkContext jsc) {
        return Math.max(0, jsc.sc().statusTracker().getExecutorInfos().length - 1);
    }
}
