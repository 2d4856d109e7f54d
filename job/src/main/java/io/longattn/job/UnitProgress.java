package io.longattn.job;

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
    private final long accumulatorId;
    private final String stageName;
    private final Map<Long, Long> running = new ConcurrentHashMap<>();
    private final List<Double> taskSeconds = new ArrayList<>();
    private volatile long finished;

    UnitProgress(LongAccumulator unitsDone, String stageName) {
        this.accumulatorId = unitsDone.id();
        this.stageName = stageName;
    }

    long unitsDone() {
        long sum = finished;
        for (long v : running.values()) sum += v;
        return sum;
    }

    synchronized double[] taskSeconds() {
        return taskSeconds.stream().mapToDouble(Double::doubleValue).toArray();
    }

    @Override
    public void onExecutorMetricsUpdate(SparkListenerExecutorMetricsUpdate update) {
        for (Tuple4<Object, Object, Object, scala.collection.immutable.Seq<AccumulableInfo>> t
                : CollectionConverters.asJava(update.accumUpdates())) {
            Long value = valueOf(t._4());
            if (value != null) running.put((Long) t._1(), value);
        }
    }

    @Override
    public void onTaskEnd(SparkListenerTaskEnd end) {
        long taskId = end.taskInfo().taskId();
        running.remove(taskId);
        if (!end.taskInfo().successful()) return;
        Long value = valueOf(end.taskInfo().accumulables());
        if (value != null) {
            synchronized (this) {
                finished += value;
                taskSeconds.add(end.taskInfo().duration() / 1000.0);
            }
        }
    }

    private Long valueOf(scala.collection.Seq<AccumulableInfo> infos) {
        for (AccumulableInfo a : CollectionConverters.asJava(infos)) {
            if (a.id() == accumulatorId && a.update().isDefined()) {
                Object v = a.update().get();
                if (v instanceof Long l) return l;
                if (v instanceof Number n) return n.longValue();
            }
        }
        return null;
    }

    String stageName() {
        return stageName;
    }
}
