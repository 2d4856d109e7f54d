package io.longattn.job.spark;

import io.longattn.job.io.OutputGroup;
import io.longattn.job.io.TensorFiles;
import io.longattn.job.io.TensorWriter;
import io.longattn.job.report.JobSummary;
import io.longattn.job.strategy.BroadcastKv;
import io.longattn.job.strategy.KvStrategy;
import io.longattn.job.strategy.StreamKv;
import io.longattn.kernels.AttentionSpec;
import io.longattn.kernels.LocalAttention;
import io.longattn.partitioner.Assignment;
import io.longattn.partitioner.ChunkPlan;
import io.longattn.partitioner.OutputPartitioner;
import io.longattn.partitioner.UnitOfWork;
import io.longattn.partitioner.UnitPartitioner;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.util.LongAccumulator;
import scala.Tuple2;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
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

    /** Runs the job and writes every row into outputs, which the caller commits (with its report). */
    public static JobSummary run(JavaSparkContext jsc, PlannedJob r, PrintStream log, OutputGroup outputs) {
        long t0 = System.nanoTime();
        ChunkPlan plan = r.plan();
        AttentionSpec spec = r.spec();
        List<UnitOfWork> units = plan.units();
        Assignment assignment = Assignment.of(r.balance(), units, r.partitions());
        jsc.setJobGroup(JOB_GROUP, "LongAttn " + spec.describe(), true);

        KvStrategy kv = switch (r.strategy().strategy()) {
            case BROADCAST -> BroadcastKv.create(jsc, r.k(), r.v());
            case STREAM, SPLIT_KV -> new StreamKv(r.k(), r.v(), plan.readSpanBlocks());
            case AUTO -> throw new IllegalStateException("strategy auto was not decided");
        };

        LongAccumulator unitsDone = jsc.sc().longAccumulator("longattn.unitsDone");
        LongAccumulator pairsDone = jsc.sc().longAccumulator("longattn.pairsDone");
        UnitProgress listener = new UnitProgress(unitsDone, pairsDone);
        jsc.sc().addSparkListener(listener);
        List<Tuple2<Integer, UnitOfWork>> keyed = new ArrayList<>(units.size());
        for (UnitOfWork u : units) keyed.add(new Tuple2<>(u.index, u));
        JavaPairRDD<Integer, UnitOfWork> placed = jsc.parallelizePairs(keyed, r.partitions())
                .partitionBy(new UnitPartitioner(assignment));
        // the stage that runs the units carries this name in Spark's UI, logs and event log
        jsc.setCallSite(COMPUTE_STAGE);
        JavaPairRDD<Integer, UnitResult> results = placed
                .mapPartitionsToPair(new UnitTask(plan, r.q(), kv, r.kernel(), r.failFirstAttempt(), r.failAtUnit(), unitsDone, pairsDone));
        jsc.clearCallSite();

        long chunkBytes = (long) plan.queryChunk() * spec.hq() * (spec.dv() + 1) * 4L;
        int chunksPerOutput = (int) Math.max(1, Math.min(plan.chunks(), r.outputPartitionBytes() / chunkBytes));
        results = results.repartitionAndSortWithinPartitions(
                new OutputPartitioner(plan.chunks(), plan.unitsPerChunk(), chunksPerOutput));
        if (plan.kvSplits() > 1) {
            results = results.mapPartitionsToPair(new SplitMerge(plan.kvSplits(), plan.queryChunk() * spec.groupSize(),
                    spec.dv(), spec.groupSize()), true);
        }

        try (Progress progress = new Progress(listener, units.size(), (long) (plan.totalFlops() / (2.0 * (spec.d() + spec.dv()))), plan.totalFlops(), r.progressSeconds(), log)) {
            writeInOrder(r, plan, results.toLocalIterator(), outputs);
        } finally {
            jsc.sc().removeSparkListener(listener);
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        return new JobSummary(r, seconds, plan.totalFlops(), units.size(), assignment.maxLoad(), assignment.meanLoad(),
                listener.taskSeconds());
    }

    /** Streams results (sorted by chunk, then group) into the output files, one query chunk at a time. */
    static void writeInOrder(PlannedJob r, ChunkPlan plan, Iterator<Tuple2<Integer, UnitResult>> results, OutputGroup outputs) {
        AttentionSpec spec = r.spec();
        int hq = spec.hq(), dv = spec.dv(), groups = spec.hkv();
        float[] rows = new float[plan.queryChunk() * hq * dv];
        float[] lseRows = new float[plan.queryChunk() * hq];
        TensorWriter o = outputs.add(TensorFiles.createLike(r.q(), r.out(), "o", hq, dv, false, r.overwrite(), r.compression()));
        TensorWriter lse = r.lseOut() == null ? null : outputs.add(TensorFiles.createLike(r.q(), r.lseOut(), "lse", hq, 1, true, r.overwrite(), r.compression()));
        try {
            for (int c = 0; c < plan.chunks(); c++) {
                int tokens = 0;
                for (int g = 0; g < groups; g++) {
                    if (!results.hasNext()) {
                        throw new IllegalStateException("job returned too few results: missing chunk " + c + " group " + g);
                    }
                    UnitResult u = results.next()._2();
                    if (u.chunk != c || u.group != g) {
                        throw new IllegalStateException("result of chunk " + u.chunk + " group " + u.group
                                + " arrived where chunk " + c + " group " + g + " was expected");
                    }
                    tokens = u.tokens;
                    LocalAttention.scatter(spec, g, 0, tokens, u.o, u.lse, rows, lseRows);
                }
                o.append(rows, 0, tokens);
                if (lse != null) lse.append(lseRows, 0, tokens);
            }
            if (results.hasNext()) {
                throw new IllegalStateException("job returned more results than units (unit " + results.next()._1() + ")");
            }
            o.finish();
            if (lse != null) lse.finish();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
