package io.longattn.job.spark;

import io.longattn.job.io.TensorFiles;
import io.longattn.job.io.TensorHeader;
import io.longattn.job.io.TensorReader;
import io.longattn.job.plan.JobPlanner;
import io.longattn.job.strategy.KvStrategy;
import io.longattn.kernels.AttentionSpec;
import io.longattn.kernels.KvSource;
import io.longattn.kernels.UnitSummary;
import io.longattn.kernels.UnitRunner;
import io.longattn.partitioner.ChunkPlan;
import io.longattn.partitioner.CostModel;
import io.longattn.partitioner.Sequences;
import io.longattn.partitioner.UnitOfWork;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.PairFlatMapFunction;
import org.apache.spark.util.LongAccumulator;
import scala.Tuple2;

import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.logging.Logger;

/**
 * The executor side: runs the units of one partition costliest first, one at a time, and yields each
 * unit's result lazily so a task holds one unit's output at most. Everything it needs travels in this
 * object (Java-serialized with the closure).
 */
public final class UnitTask implements PairFlatMapFunction<Iterator<Integer>, Integer, UnitResult>,
        Serializable {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = Logger.getLogger(UnitTask.class.getName());

    /**
     * A task's units, costliest first (a task's duration does not depend on the order, but the progress
     * line's pairs-done rate and estimate settle sooner); equal costs in index order, which keeps a query
     * chunk's groups together (its rows are read once). Results are keyed by index: the order changes no bit.
     */
    static final Comparator<UnitOfWork> COSTLIEST_FIRST =
            Comparator.<UnitOfWork>comparingLong(u -> u.cost).reversed().thenComparingInt(u -> u.index);
    /** Many sequences: one sequence's units after another (each sequence has a kernel of its own), costliest first within. */
    static final Comparator<UnitOfWork> BY_SEQUENCE = Comparator.<UnitOfWork>comparingInt(u -> u.sequence).thenComparing(COSTLIEST_FIRST);

    private final ChunkPlan plan;
    private final TensorHeader q;
    private final KvStrategy kv;
    private final JobPlanner.KernelPick kernel;
    private final boolean failFirstAttempt;
    private final int failAtUnit;
    private final LongAccumulator unitsDone;
    private final LongAccumulator pairsDone;
    private final TaskClock clock;

    private final int warmupMillis;

    /** Each partition's units, by partition number. */
    private final List<List<UnitOfWork>> byPartition;

    UnitTask(ChunkPlan plan, List<List<UnitOfWork>> byPartition, TensorHeader q, KvStrategy kv, JobPlanner.KernelPick kernel,
             int warmupMillis,
             boolean failFirstAttempt, int failAtUnit, LongAccumulator unitsDone, LongAccumulator pairsDone, TaskClock clock) {
        this.warmupMillis = warmupMillis;
        this.byPartition = byPartition;
        this.unitsDone = unitsDone;
        this.pairsDone = pairsDone;
        this.clock = clock;
        this.plan = plan;
        this.q = q;
        this.kv = kv;
        this.kernel = kernel;
        this.failFirstAttempt = failFirstAttempt;
        this.failAtUnit = failAtUnit;
    }

    @Override
    public Iterator<Tuple2<Integer, UnitResult>> call(Iterator<Integer> partition) {
        long startedAt = System.currentTimeMillis();
        List<UnitOfWork> units = new ArrayList<>();
        partition.forEachRemaining(p -> units.addAll(byPartition.get(p)));
        units.sort(plan.sequences().count() > 1 ? BY_SEQUENCE : COSTLIEST_FIRST);
        if (units.isEmpty()) return java.util.Collections.emptyIterator();
        Runner runner = new Runner(units);
        clock.started(startedAt);
        clock.computing(System.currentTimeMillis());
        return runner;
    }

    /**
     * The GPU Spark assigned this task (spark.task.resource.gpu.amount with a discovery script), or null
     * when it has none (local mode: the kernel then uses GPU 0, the first of CUDA_VISIBLE_DEVICES).
     */
    static String assignedGpu(TaskContext ctx) {
        if (ctx == null) return null;
        org.apache.spark.resource.ResourceInformation gpu = ctx.resourcesJMap().get("gpu");
        return gpu == null || gpu.addresses().length == 0 ? null : gpu.addresses()[0];
    }

    private final class Runner implements Iterator<Tuple2<Integer, UnitResult>> {
        private final List<UnitOfWork> units;
        private final AttentionSpec spec = plan.spec();
        private final Sequences sequences = plan.sequences();
        private final String gpu;
        private CostModel costModel;
        private UnitRunner runner;
        /** The sequence whose spec the runner and cost model hold, or -1. */
        private int runnerSequence = -1;
        private final TensorReader qReader;
        private final KvStrategy.Opened source;
        private final float[] qRows;
        private final int attempt;
        private int next;
        private int loadedChunk = -1;
        private boolean closed;

        Runner(List<UnitOfWork> units) {
            this.units = units;
            TaskContext ctx = TaskContext.get();
            this.gpu = assignedGpu(ctx);
            // a device kernel has no JIT to warm; its own set-up happens with the first unit
            if (!kernel.name().startsWith("cuda")) {
                KernelWarmUp.ensure(spec, s -> JobPlanner.createKernel(kernel, s, plan.threads(), null), kernel.request(),
                        plan.threads(), plan.kvChunk(), warmupMillis / 1e3);
            }
            this.qReader = TensorFiles.open(q);
            this.source = kv.open();
            this.qRows = new float[plan.queryChunk() * spec.hq() * spec.d()];
            this.attempt = ctx == null ? 0 : ctx.attemptNumber();
            if (ctx != null) ctx.addTaskCompletionListener((org.apache.spark.util.TaskCompletionListener) c -> close());
            LOG.fine(() -> "task runs " + units.size() + " units with kernel " + kernel.name());
        }

        @Override
        public boolean hasNext() {
            if (next < units.size()) return true;
            if (!closed) clock.done(System.currentTimeMillis());
            close();
            return false;
        }

        @Override
        public Tuple2<Integer, UnitResult> next() {
            if (!hasNext()) throw new NoSuchElementException();
            UnitOfWork u = units.get(next);
            if (u.index == failAtUnit) {
                throw new IllegalStateException("fault injection: spark.longattn.test.failAtUnit=" + failAtUnit);
            }
            if (failFirstAttempt && attempt == 0 && next == 1) {
                throw new IllegalStateException("fault injection: first attempt fails (spark.longattn.test.failFirstAttempt)");
            }
            next++;
            int hg = spec.groupSize();
            if (sequences.sk(u.sequence) == 0) {
                // a sequence without keys: every query sees none, so O = 0 and LSE = -inf as for a fully masked row
                float[] lse = new float[u.tokens * hg];
                java.util.Arrays.fill(lse, Float.NEGATIVE_INFINITY);
                unitsDone.add(1);
                return new Tuple2<>(u.index, UnitResult.finished(u.index, u.chunk, u.group, u.tokens,
                        new float[u.tokens * hg * spec.dv()], lse));
            }
            useSequence(u.sequence);
            long t0 = System.nanoTime();
            double device0 = runner.kernel().deviceSeconds();
            Tuple2<Integer, UnitResult> result = new Tuple2<>(u.index, compute(u));
            clock.unit(System.nanoTime() - t0, next == 1, Math.round((runner.kernel().deviceSeconds() - device0) * 1e9));
            unitsDone.add(1);
            pairsDone.add(costModel.pairs(u.q0, u.tokens, u.kvFrom, u.kvTo) * hg);
            return result;
        }

        /** The runner for a sequence's spec: the current one when the spec is the same (a batch), else a new kernel. */
        private void useSequence(int s) {
            if (s == runnerSequence) return;
            AttentionSpec seqSpec = plan.sequenceSpec(s);
            if (runner == null || !runner.spec().equals(seqSpec)) {
                closeKernel();
                runner = new UnitRunner(seqSpec, JobPlanner.createKernel(kernel, seqSpec, plan.threads(), gpu),
                        plan.queryChunk(), plan.kvChunk());
                costModel = new CostModel(seqSpec);
            }
            runnerSequence = s;
        }

        private UnitResult compute(UnitOfWork u) {
            int hg = spec.groupSize();
            if (u.chunk != loadedChunk) {
                try {
                    qReader.readRows(sequences.qStart(u.sequence) + u.q0, u.tokens, qRows, 0);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
                loadedChunk = u.chunk;
            }
            KvSource kvRows = sequences.count() == 1 ? source
                    : new SequenceKv(source, sequences.kStart(u.sequence), sequences.sk(u.sequence));
            runner.query().load(u.q0, u.tokens, qRows, 0, spec.hq(), u.group * hg, spec.queryFactor());
            if (plan.kvSplits() > 1) {
                UnitSummary s = runner.summarize(u.group, kvRows, u.kvFrom, u.kvTo);
                return UnitResult.partial(u.index, u.chunk, u.group, u.kvSplit, u.tokens, spec.dv(), s.toArray());
            }
            float[] o = new float[u.tokens * hg * spec.dv()];
            float[] lse = new float[u.tokens * hg];
            runner.run(u.group, kvRows, o, 0, lse, 0);
            return UnitResult.finished(u.index, u.chunk, u.group, u.tokens, o, lse);
        }

        private void closeKernel() {
            if (runner == null) return;
            try {
                runner.kernel().close();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            } finally {
                runner = null;
                runnerSequence = -1;
            }
        }

        private void close() {
            if (closed) return;
            closed = true;
            source.close();
            try {
                qReader.close();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            closeKernel();
        }
    }
}
