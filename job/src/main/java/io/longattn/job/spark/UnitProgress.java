package io.longattn.job.spark;

import org.apache.spark.scheduler.AccumulableInfo;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerExecutorMetricsUpdate;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.util.LongAccumulator;
import scala.Tuple4;
import scala.jdk.javaapi.CollectionConverters;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Units finished so far, unit by unit rather than task by task: tasks add to an accumulator after each
 * unit, executors report running tasks' accumulator values with their heartbeats, and finished tasks
 * report final values. Failed attempts are not counted. Also records the compute tasks' durations.
 */
final class UnitProgress extends SparkListener {
    private final long unitsId;
    private final long pairsId;
    private final Map<Long, long[]> running = new ConcurrentHashMap<>();
    private final List<Double> taskSeconds = new ArrayList<>();
    private volatile long finishedUnits;
    private volatile long finishedPairs;

    UnitProgress(LongAccumulator unitsDone, LongAccumulator pairsDone) {
        this.unitsId = unitsDone.id();
        this.pairsId = pairsDone.id();
    }

    long unitsDone() {
        long sum = finishedUnits;
        for (long[] v : running.values()) sum += v[0];
        return sum;
    }

    /** Unmasked (query, key) pairs of the units done, times their heads: the work done, not the count. */
    long pairsDone() {
        long sum = finishedPairs;
        for (long[] v : running.values()) sum += v[1];
        return sum;
    }

    synchronized double[] taskSeconds() {
        return taskSeconds.stream().mapToDouble(Double::doubleValue).toArray();
    }

    @Override
    public void onExecutorMetricsUpdate(SparkListenerExecutorMetricsUpdate update) {
        for (Tuple4<Object, Object, Object, scala.collection.immutable.Seq<AccumulableInfo>> t
                : CollectionConverters.asJava(update.accumUpdates())) {
            Long units = valueOf(t._4(), unitsId), pairs = valueOf(t._4(), pairsId);
            if (units != null) running.put((Long) t._1(), new long[]{units, pairs == null ? 0 : pairs});
        }
    }

    @Override
    public void onTaskEnd(SparkListenerTaskEnd end) {
        long taskId = end.taskInfo().taskId();
        running.remove(taskId);
        if (!end.taskInfo().successful()) return;
        Long units = valueOf(end.taskInfo().accumulables(), unitsId);
        Long pairs = valueOf(end.taskInfo().accumulables(), pairsId);
        if (units != null) {
            synchronized (this) {
                finishedUnits += units;
                finishedPairs += pairs == null ? 0 : pairs;
                taskSeconds.add(end.taskInfo().duration() / 1000.0);
            }
        }
    }

    private static Long valueOf(scala.collection.Seq<AccumulableInfo> infos, long id) {
        for (AccumulableInfo a : CollectionConverters.asJava(infos)) {
            if (a.id() == id && a.update().isDefined()) {
                Object v = a.update().get();
                if (v instanceof Long l) return l;
                if (v instanceof Number n) return n.longValue();
            }
        }
        return null;
    }
}
