package io.longattn.job.spark;

import io.longattn.job.io.OutputGroup;
import io.longattn.job.io.TensorFiles;
import io.longattn.job.io.TensorWriter;
import io.longattn.job.UserError;
import io.longattn.job.io.PlacedNpyOutput;
import io.longattn.job.report.JobSummary;
import io.longattn.job.settings.Settings;
import io.longattn.job.report.Timeline;
import io.longattn.job.strategy.BroadcastKv;
import io.longattn.job.strategy.KvStrategy;
import io.longattn.job.strategy.StreamKv;
import io.longattn.kernels.AttentionSpec;
import io.longattn.partitioner.Assignment;
import io.longattn.partitioner.ChunkPlan;
import io.longattn.partitioner.OutputPartitioner;
import io.longattn.partitioner.UnitOfWork;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.util.LongAccumulator;
import scala.Tuple2;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * The Spark job. Units are keyed by their order key and placed by the partitioner's assignment; each
 * task streams its units' kv blocks through the local kernel; results are shuffled into query order
 * (one output partition = a bounded run of query chunks) and the driver streams them into the output
 * file under a temporary name, renamed into place only when every row is there.
 */
public final class AttentionJob {
    static final String JOB_GROUP = "longattn";
    static final String COMPUTE_STAGE = "longattn: compute units";

    private AttentionJob() {
    }

    /**
     * Runs the planned job and writes every row into outputs, which the caller commits (with its report); the
     * timeline gets the driver's and the tasks' phases, the output files' forcing to disk included as commit.
     */
    public static JobSummary run(JavaSparkContext jsc, PlannedJob r, ExecutorHosts hosts, PrintStream log, Timeline timeline,
                                 OutputGroup outputs) {
        long t0 = System.nanoTime();
        ChunkPlan plan = r.plan();
        AttentionSpec spec = r.spec();
        List<UnitOfWork> units = plan.units();
        double assignStart = timeline.now();
        // a unit's cost is its unmasked pairs x query heads: 2 (D + Dv) FLOPs each
        long minGuidedCost = (long) (r.guidedMinFlops() / (2.0 * (spec.d() + spec.dv())));
        Assignment assignment = Assignment.of(r.balance(), units, r.partitions(), minGuidedCost);
        timeline.since("assignment", assignStart);
        jsc.setJobGroup(JOB_GROUP, "LongAttn " + spec.describe(), true);

        double kvStart = timeline.now();
        KvStrategy kv = switch (r.strategy().strategy()) {
            case BROADCAST -> BroadcastKv.create(jsc, r.k(), r.v(), r.broadcastVia().files(hosts.onThisMachine()));
            case STREAM, SPLIT_KV -> new StreamKv(r.k(), r.v(), plan.readSpanBlocks());
            case AUTO -> throw new IllegalStateException("strategy auto was not decided");
        };
        timeline.since("kv_distribution", kvStart);

        LongAccumulator unitsDone = jsc.sc().longAccumulator("longattn.unitsDone");
        LongAccumulator pairsDone = jsc.sc().longAccumulator("longattn.pairsDone");
        UnitProgress listener = new UnitProgress(unitsDone, pairsDone);
        jsc.sc().addSparkListener(listener);
        TaskClock clock = new TaskClock(jsc);
        TaskClock.Listener tasks = clock.new Listener();
        jsc.sc().addSparkListener(tasks);
        // partition p holds the number p (P numbers cut into P slices) and its task finds its units in the closure:
        // placing the units needs no stage of its own
        // guided assignments make more partitions than the job has slots, the costliest first
        int sparkPartitions = assignment.partitions();
        List<Integer> partitionIds = new ArrayList<>(sparkPartitions);
        for (int p = 0; p < sparkPartitions; p++) partitionIds.add(p);
        List<List<UnitOfWork>> byPartition = assignment.byPartition(units);
        // the stage that runs the units carries this name in Spark's UI, logs and event log
        jsc.setCallSite(COMPUTE_STAGE);
        JavaPairRDD<Integer, UnitResult> results = jsc.parallelize(partitionIds, sparkPartitions)
                .mapPartitionsToPair(new UnitTask(plan, byPartition, r.q(), kv, r.kernel(), r.warmupMillis(), r.failFirstAttempt(),
                        r.failAtUnit(), unitsDone, pairsDone, clock));
        jsc.clearCallSite();

        boolean executorsWrite = executorsWrite(r, hosts.onThisMachine());
        if (plan.kvSplits() > 1 || !executorsWrite) {
            long chunkBytes = (long) plan.queryChunk() * spec.hq() * (spec.dv() + 1) * 4L;
            int chunksPerOutput = (int) Math.max(1, Math.min(plan.chunks(), r.outputPartitionBytes() / chunkBytes));
            results = results.repartitionAndSortWithinPartitions(
                    new OutputPartitioner(plan.chunks(), plan.unitsPerChunk(), chunksPerOutput));
        }
        if (plan.kvSplits() > 1) {
            results = results.mapPartitionsToPair(new SplitMerge(plan.kvSplits(), plan.queryChunk() * spec.groupSize(),
                    spec.dv(), spec.groupSize()), true);
        }

        try (Progress progress = new Progress(listener, units.size(), (long) (plan.totalFlops() / (2.0 * (spec.d() + spec.dv()))), plan.totalFlops(), r.progressSeconds(), log)) {
            tasks.submittedAt(timeline.now());
            if (executorsWrite) {
                writeInPlace(r, plan, results, timeline, tasks, outputs);
            } else {
                writeInOrder(r, plan, results.toLocalIterator(), timeline, tasks, outputs);
            }
        } finally {
            jsc.sc().removeSparkListener(listener);
            jsc.sc().removeSparkListener(tasks);
            if (kv instanceof BroadcastKv b) b.release();
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        return new JobSummary(r, seconds, plan.totalFlops(), units.size(), sparkPartitions, assignment.maxLoad(), assignment.meanLoad(),
                listener.taskSeconds(), tasks.slotSeconds(), timeline);
    }

    /**
     * The executors' phases from the tasks' stamps: scheduling from the driver's submission (placing the
     * units, shipping the closure) until the first compute task starts, set-up from then until every task
     * computes, compute from the first unit to the last, with each task's own compute seconds (and its
     * kernel seconds, when a device kernel timed its launches).
     */
    static double addTaskPhases(Timeline timeline, double submitted, List<TaskClock.Task> tasks) {
        if (tasks.isEmpty()) return timeline.now();
        long started = Long.MAX_VALUE, allComputing = 0, computing = Long.MAX_VALUE, done = 0;
        double[] compute = new double[tasks.size()], kernel = new double[tasks.size()];
        boolean device = false;
        for (int i = 0; i < tasks.size(); i++) {
            TaskClock.Task t = tasks.get(i);
            started = Math.min(started, t.startedAt());
            computing = Math.min(computing, t.computingAt());
            done = Math.max(done, t.doneAt());
            compute[i] = t.computeSeconds();
            kernel[i] = t.kernelSeconds();
            device |= t.kernelSeconds() > 0;
        }
        // set-up ends when every slot computes: the first tasks to start, one per slot (guided jobs start more later)
        List<TaskClock.Task> byStart = new ArrayList<>(tasks);
        byStart.sort(java.util.Comparator.comparingLong(TaskClock.Task::startedAt));
        int slots = TaskClock.slotSeconds(tasks).length;
        for (int i = 0; i < Math.min(slots, byStart.size()); i++) allComputing = Math.max(allComputing, byStart.get(i).computingAt());
        timeline.add("scheduling", submitted, timeline.atMillis(started), null);
        timeline.add("executor_setup", timeline.atMillis(started), timeline.atMillis(allComputing), null);
        timeline.add("compute", timeline.atMillis(computing), timeline.atMillis(done), compute, device ? kernel : null);
        return timeline.atMillis(done);
    }

    /** Whether executors write the rows in place (see {@link OutputWriters}); a UserError when they are asked to but cannot. */
    static boolean executorsWrite(PlannedJob r, boolean executorsOnThisMachine) {
        return switch (r.outputWriters()) {
            case DRIVER -> false;
            case AUTO -> executorsOnThisMachine && OutputWriters.placeable(r);
            case EXECUTORS -> {
                if (!OutputWriters.placeable(r)) {
                    throw new UserError(Settings.OUTPUT_WRITERS.key(), "executors cannot write " + (PlacedNpyOutput.placeable(r.out())
                            ? r.lseOut() : r.out()) + " in place", "driver or auto, or .npy outputs on a local or shared file system");
                }
                yield true;
            }
        };
    }

    /**
     * Executors write every finished unit's rows at their offsets in the temporary files (in the same task that
     * computed them); the driver checks that each unit was written exactly once, then commits.
     */
    static void writeInPlace(PlannedJob r, ChunkPlan plan, JavaPairRDD<Integer, UnitResult> results, Timeline timeline,
                             TaskClock.Listener tasks, OutputGroup outputs) {
        AttentionSpec spec = r.spec();
        PlacedNpyOutput o = outputs.add(PlacedNpyOutput.create(r.out(), spec.sq(), spec.hq(), spec.dv(), r.overwrite()));
        PlacedNpyOutput lse = r.lseOut() == null ? null : outputs.add(PlacedNpyOutput.createLse(r.lseOut(), spec.sq(), spec.hq(), r.overwrite()));
        try {
            List<Integer> written = results.mapPartitions(new PlaceRows(o.target(), lse == null ? null : lse.target(),
                    plan.queryChunk(), spec.groupSize())).collect();
            int expected = plan.chunks() * spec.hkv();
            boolean[] seen = new boolean[expected];
            for (int index : written) {
                // split-KV results carry the finished unit's index, others the unit's own, which is the same number
                if (index < 0 || index >= expected || seen[index]) {
                    throw new IllegalStateException("unit " + index + " was written twice or is not a unit of this job");
                }
                seen[index] = true;
            }
            if (written.size() != expected) {
                throw new IllegalStateException("job wrote " + written.size() + " of " + expected + " units");
            }
            commitTimed(timeline, tasks, outputs::prepare);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A commit of the job's outputs. */
    private interface Commit {
        void run() throws IOException;
    }

    /** Records the tasks' phases and the output phase up to now, then forces the outputs to disk and records that as commit. */
    private static void commitTimed(Timeline timeline, TaskClock.Listener tasks, Commit commit) throws IOException {
        double outputStart = addTaskPhases(timeline, tasks.submittedAt(), tasks.tasks());
        timeline.since("output", outputStart);
        double commitStart = timeline.now();
        commit.run();
        timeline.since("commit", commitStart);
    }

    /**
     * Streams results (sorted by chunk, then group) into the output files, one query chunk at a time, from the
     * Arrow buffers each result arrived in; every result is closed once written, or when the job fails.
     */
    static void writeInOrder(PlannedJob r, ChunkPlan plan, Iterator<Tuple2<Integer, UnitResult>> results, Timeline timeline,
                             TaskClock.Listener tasks, OutputGroup outputs) {
        AttentionSpec spec = r.spec();
        int hq = spec.hq(), hg = spec.groupSize(), dv = spec.dv(), groups = spec.hkv();
        UnitResult[] chunk = new UnitResult[groups];
        ByteBuffer[] oParts = new ByteBuffer[groups];
        ByteBuffer[] lseParts = new ByteBuffer[groups];
        TensorWriter o = outputs.add(TensorFiles.createLike(r.q(), r.out(), "o", hq, dv, false, r.overwrite(), r.compression()));
        TensorWriter lse = r.lseOut() == null ? null : outputs.add(TensorFiles.createLike(r.q(), r.lseOut(), "lse", hq, 1, true, r.overwrite(), r.compression()));
        try {
            for (int c = 0; c < plan.chunks(); c++) {
                int tokens = 0;
                for (int g = 0; g < groups; g++) {
                    if (!results.hasNext()) {
                        throw new IllegalStateException("job returned too few results: missing chunk " + c + " group " + g);
                    }
                    UnitResult u = chunk[g] = results.next()._2();
                    if (u.chunk != c || u.group != g) {
                        throw new IllegalStateException("result of chunk " + u.chunk + " group " + u.group
                                + " arrived where chunk " + c + " group " + g + " was expected");
                    }
                    tokens = u.tokens;
                    oParts[g] = u.o();
                    if (lse != null) lseParts[g] = u.lse();
                }
                o.appendParts(oParts, hg * dv, tokens);
                if (lse != null) lse.appendParts(lseParts, hg, tokens);
                closeAll(chunk);
            }
            if (results.hasNext()) {
                try (UnitResult extra = results.next()._2()) {
                    throw new IllegalStateException("job returned more results than units (unit " + extra.index + ")");
                }
            }
            // results arrive once every unit has run (the shuffle's map side): output is what follows compute
            commitTimed(timeline, tasks, outputs::prepare);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            closeAll(chunk);
        }
    }

    private static void closeAll(UnitResult[] results) {
        for (int i = 0; i < results.length; i++) {
            if (results[i] != null) results[i].close();
            results[i] = null;
        }
    }
}
