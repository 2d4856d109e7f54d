package io.longattn.job.spark;

import org.apache.spark.scheduler.AccumulableInfo;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerExecutorMetricsUpdate;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.scheduler.SparkListenerTaskStart;
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
 * report final values. Each partition counts once, at the most any attempt of it reached: a lost executor's
 * tasks that run again, a recomputed partition or a speculative copy never count twice, and the count never
 * goes back. Also records the compute tasks' durations.
 */
final class UnitProgress extends SparkListener {
    private final long unitsId;
    private final long pairsId;
    /** Task id to its partition, from the task's start. */
    private final Map<Long, Integer> partitionOf = new ConcurrentHashMap<>();
    /** Partition to the most units and pairs any attempt of it reported. */
    private final Map<Integer, long[]> best = new ConcurrentHashMap<>();
    private final List<Double> taskSeconds = new ArrayList<>();

    UnitProgress(LongAccumulator unitsDone, LongAccumulator pairsDone) {
        this(unitsDone.id(), pairsDone.id());
    }

    UnitProgress(long unitsAccumulatorId, long pairsAccumulatorId) {
        this.unitsId = unitsAccumulatorId;
        this.pairsId = pairsAccumulatorId;
    }

    long unitsDone() {
        long sum = 0;
        for (long[] v : best.values()) sum += v[0];
        return sum;
    }

    /** Unmasked (query, key) pairs of the units done, times their heads: the work done, not the count. */
    long pairsDone() {
        long sum = 0;
        for (long[] v : best.values()) sum += v[1];
        return sum;
    }

    synchronized double[] taskSeconds() {
        return taskSeconds.stream().mapToDouble(Double::doubleValue).toArray();
    }

    /** An attempt of partition reached units (and pairs): the partition's count rises to it, never falls. */
    void record(int partition, long units, long pairs) {
        best.merge(partition, new long[]{units, pairs}, (a, b) -> b[0] > a[0] ? b : a);
    }

    @Override
    public void onTaskStart(SparkListenerTaskStart start) {
        partitionOf.put(start.taskInfo().taskId(), start.taskInfo().index());
    }

    @Override
    public void onExecutorMetricsUpdate(SparkListenerExecutorMetricsUpdate update) {
        for (Tuple4<Object, Object, Object, scala.collection.immutable.Seq<AccumulableInfo>> t
                : CollectionConverters.asJava(update.accumUpdates())) {
            Integer partition = partitionOf.get((Long) t._1());
            Long units = valueOf(t._4(), unitsId), pairs = valueOf(t._4(), pairsId);
            if (partition != null && units != null) record(partition, units, pairs == null ? 0 : pairs);
        }
    }

    @Override
    public void onTaskEnd(SparkListenerTaskEnd end) {
        partitionOf.remove(end.taskInfo().taskId());
        if (!end.taskInfo().successful()) return;
        Long units = valueOf(end.taskInfo().accumulables(), unitsId);
        Long pairs = valueOf(end.taskInfo().accumulables(), pairsId);
        if (units != null) {
            record(end.taskInfo().index(), units, pairs == null ? 0 : pairs);
            synchronized (this) {
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
