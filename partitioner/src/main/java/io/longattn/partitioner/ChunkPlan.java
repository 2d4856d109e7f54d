package io.longattn.partitioner;

import io.longattn.kernels.AttentionSpec;
import io.longattn.kernels.KernelTraits;
import io.longattn.kernels.MaskGeometry;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;

/**
 * How the work is cut: query chunk Qc, kv block Kc, optional key splits (split-KV), and the units.
 * A task's working set (see {@link #workingSet()}) depends on Qc, Kc and the head shape only, never on
 * the sequence lengths: the running summary replaces Rabe and Staats' per-key-chunk summaries.
 * What the kernel needs comes from its {@link KernelTraits}; the plan knows no kernel class.
 *
 * <p>A job of many sequences ({@link Sequences}: a batch or packed varlen sequences) has one Qc and Kc for
 * all of them; its units are (sequence, query chunk, kv head group), chunks numbered across sequences in
 * packed order, each costed by its own sequence's mask, so short sequences share a partition and long
 * ones spread over several. {@link #spec()} is then the template: heads, dims and options, with the
 * packed totals as lengths; {@link #sequenceSpec} is the spec a sequence's units compute.
 */
public final class ChunkPlan implements Serializable {
    private static final long serialVersionUID = 3L;

    /**
     * Query tokens per unit when nothing asks otherwise. A CPU kernel packs every K/V block once per call, for
     * all the unit's rows, so small units pay that packing (and a task's per-unit reads and writes) more often.
     * On the 16-core device (local[16], causal, 2 heads, D=64; its speed drifted up to 2x between runs, so
     * compare within a run): at 65,536 tokens the bare units ran 1,267 GFLOP/s at 1,024 tokens against 1,024
     * at 256; at 262,144 the job's wall over its bare units was 1.12, 1.14, 1.16 at 1,024 against 1.09, 1.18,
     * 1.23, 1.29 at 256. Plans halve it where a partition would get fewer than {@link #UNITS_PER_PARTITION}
     * units or a mask leaves them unbalanced.
     */
    public static final int DEFAULT_QUERY_CHUNK = 1024;
    public static final int DEFAULT_KV_CHUNK = 512;
    public static final int MIN_QUERY_CHUNK = 16;
    public static final int MIN_KV_CHUNK = 64;
    /** Larger chunks than this are refused: a chunk buffer must stay a small part of a task's heap. */
    public static final int MAX_CHUNK = 1 << 20;
    /** Bytes a stream read aims for: few system calls and hand-offs, small next to a task's memory. */
    public static final long READ_SPAN_BYTES = 1L << 20;
    /** At most this many kv blocks per read of the stream strategy. */
    public static final int MAX_READ_SPAN_BLOCKS = 8;
    /** Units per partition a plan aims for (finer units balance masks and stragglers). */
    static final int UNITS_PER_PARTITION = 4;

    /**
     * What to plan.
     *
     * @param spec       the attention problem
     * @param traits     the kernel's traits (query rows per thread, scratch, where its memory lives)
     * @param partitions Spark partitions the units are spread over
     * @param taskMemory bytes one task may hold (the working set must fit)
     * @param queryChunk query tokens per unit, 0 to choose
     * @param kvChunk    keys per kv block, 0 to choose
     * @param splitKeys  split each query chunk's keys into ranges (split-KV) so few queries fill the partitions
     * @param threads    threads of the kernel's own per task
     */
    public record Request(AttentionSpec spec, KernelTraits traits, int partitions, long taskMemory,
                          int queryChunk, int kvChunk, boolean splitKeys, int threads, Sequences sequences) {
        /** One sequence of the spec's lengths. */
        public Request(AttentionSpec spec, KernelTraits traits, int partitions, long taskMemory,
                       int queryChunk, int kvChunk, boolean splitKeys, int threads) {
            this(spec, traits, partitions, taskMemory, queryChunk, kvChunk, splitKeys, threads,
                    Sequences.single(spec.sq(), spec.sk()));
        }

        public Request {
            if (sequences.totalQ() != spec.sq() || sequences.totalK() != spec.sk()) {
                throw new IllegalArgumentException("spec lengths " + spec.sq() + ", " + spec.sk() + " are not the packed totals "
                        + sequences.totalQ() + ", " + sequences.totalK());
            }
            if (splitKeys && sequences.count() > 1) {
                throw new IllegalArgumentException("split keys plan one sequence only");
            }
        }
    }

    private final AttentionSpec spec;
    private final int queryChunk;
    private final int kvChunk;
    private final int kvSplits;
    private final long taskMemoryBudget;
    private final int threads;
    private final Sequences sequences;
    /** First global chunk of each sequence, and the total at the end. */
    private final int[] chunkStart;
    /** The kernel's scratch for these chunk sizes (the traits themselves hold a function: not shipped). */
    private final WorkingSetRow scratch;

    /** A row of the per-task working-set table. */
    public record WorkingSetRow(String name, String formula, long bytes) implements Serializable {
    }

    /** A plan with these chunk sizes, as given (no checks; {@link #create} chooses and checks). */
    public ChunkPlan(AttentionSpec spec, KernelTraits traits, int queryChunk, int kvChunk, int kvSplits,
                     long taskMemoryBudget, int threads) {
        this(spec, traits, queryChunk, kvChunk, kvSplits, taskMemoryBudget, threads, Sequences.single(spec.sq(), spec.sk()));
    }

    /** A plan of these sequences (their totals are the spec's lengths) with these chunk sizes, as given. */
    public ChunkPlan(AttentionSpec spec, KernelTraits traits, int queryChunk, int kvChunk, int kvSplits,
                     long taskMemoryBudget, int threads, Sequences sequences) {
        this.spec = spec;
        this.sequences = sequences;
        this.chunkStart = chunkStarts(sequences, queryChunk);
        this.queryChunk = queryChunk;
        this.kvChunk = kvChunk;
        this.kvSplits = kvSplits;
        this.taskMemoryBudget = taskMemoryBudget;
        this.threads = threads;
        KernelTraits.Scratch s = traits.scratch();
        String where = traits.memory() == KernelTraits.Memory.DEVICE ? ", device memory" : "";
        this.scratch = new WorkingSetRow("kernel scratch (" + s.contents() + where + ")", s.formula(),
                traits.memory() == KernelTraits.Memory.DEVICE ? 0 : traits.scratchBytes(spec, queryChunk, kvChunk, threads));
    }

    /**
     * Chooses Qc and Kc: start from the defaults (or the request's values), shrink Qc while there are
     * fewer than 4 units per partition, then shrink Kc and Qc until the working set fits the budget.
     * With split keys, the splits give about 4 units per partition.
     *
     * @throws ChunkPlanException naming the request field at fault: a chunk out of range, or a task
     *                            memory below the smallest useful working set (the expected text names it)
     */
    public static ChunkPlan create(Request r) {
        AttentionSpec spec = r.spec();
        KernelTraits traits = r.traits();
        int queryChunk = r.queryChunk(), kvChunk = r.kvChunk(), threads = r.threads(), partitions = r.partitions();
        long taskMemoryBudget = r.taskMemory();
        checkChunk(ChunkPlanException.Input.QUERY_CHUNK, queryChunk);
        checkChunk(ChunkPlanException.Input.KV_CHUNK, kvChunk);
        Sequences seqs = r.sequences();
        int kvSplits = r.splitKeys() ? kvSplits(spec, partitions, queryChunk, kvChunk) : 1;
        int groups = spec.hkv();
        int maxSq = seqs.maxSq(), maxSk = Math.max(1, seqs.maxSk());
        int qc = queryChunk > 0 ? Math.min(queryChunk, maxSq) : Math.min(startQueryChunk(spec, traits, threads), maxSq);
        int kc = kvChunk > 0 ? Math.min(kvChunk, maxSk) : Math.min(DEFAULT_KV_CHUNK, maxSk);
        if (queryChunk <= 0) {
            while (qc > 64 && (long) chunkStarts(seqs, qc)[seqs.count()] * groups * kvSplits
                    < (long) UNITS_PER_PARTITION * partitions) qc /= 2;
            qc = balancedQueryChunk(spec, traits, qc, kc, kvSplits, partitions, seqs);
        }
        ChunkPlan plan = new ChunkPlan(spec, traits, qc, kc, kvSplits, taskMemoryBudget, threads, seqs);
        while (plan.workingSetBytes() > taskMemoryBudget) {
            if (kvChunk <= 0 && plan.kvChunk > MIN_KV_CHUNK && plan.kvChunk >= plan.queryChunk) {
                plan = new ChunkPlan(spec, traits, plan.queryChunk, plan.kvChunk / 2, kvSplits, taskMemoryBudget, threads, seqs);
            } else if (queryChunk <= 0 && plan.queryChunk > MIN_QUERY_CHUNK) {
                plan = new ChunkPlan(spec, traits, plan.queryChunk / 2, plan.kvChunk, kvSplits, taskMemoryBudget, threads, seqs);
            } else if (kvChunk <= 0 && plan.kvChunk > MIN_KV_CHUNK) {
                plan = new ChunkPlan(spec, traits, plan.queryChunk, plan.kvChunk / 2, kvSplits, taskMemoryBudget, threads, seqs);
            } else {
                ChunkPlan min = new ChunkPlan(spec, traits, queryChunk > 0 ? qc : Math.min(MIN_QUERY_CHUNK, maxSq),
                        kvChunk > 0 ? kc : Math.min(MIN_KV_CHUNK, maxSk), kvSplits, taskMemoryBudget, threads, seqs);
                throw new ChunkPlanException(ChunkPlanException.Input.TASK_MEMORY,
                        "task memory budget " + taskMemoryBudget + " bytes is too small for this shape",
                        "at least " + min.workingSetBytes() + " bytes (q-chunk " + min.queryChunk + ", kv-chunk "
                                + min.kvChunk + ")");
            }
        }
        if (plan.unitCountLong() > Integer.MAX_VALUE) {
            throw new ChunkPlanException(ChunkPlanException.Input.QUERY_CHUNK, "q-chunk " + plan.queryChunk + " gives "
                    + plan.unitCountLong() + " units", "a larger query chunk (at most " + Integer.MAX_VALUE + " units)");
        }
        return plan;
    }

    /**
     * Key splits so that (query chunks x kv groups x splits) gives about 4 units per partition; at
     * least 2 (the caller asked for split keys), at most one per kv block.
     */
    static int kvSplits(AttentionSpec spec, int partitions, int qChunk, int kvChunk) {
        int qc = qChunk > 0 ? qChunk : Math.min(DEFAULT_QUERY_CHUNK, spec.sq());
        int kc = kvChunk > 0 ? kvChunk : Math.min(DEFAULT_KV_CHUNK, spec.sk());
        long unitsUnsplit = (long) ceilDiv(spec.sq(), qc) * spec.hkv();
        long wanted = ((long) UNITS_PER_PARTITION * partitions + unitsUnsplit - 1) / unitsUnsplit;
        long blocks = ceilDiv(spec.sk(), kc);
        return (int) Math.max(2, Math.min(wanted, blocks));
    }

    /**
     * {@link #DEFAULT_QUERY_CHUNK}, or enough tokens (a power of two) for the kernel's
     * {@link KernelTraits#queryRowsPerThread()} query rows per thread of its own, or per call for a kernel
     * without threads of its own that names rows (a GPU kernel: a launch must fill the device), whichever is more.
     */
    static int startQueryChunk(AttentionSpec spec, KernelTraits traits, int threads) {
        // a kernel with threads of its own wants rows for each of them; one without (a GPU) names the
        // rows a call should carry outright
        long rows = traits.ownThreads() ? (threads > 1 ? (long) traits.queryRowsPerThread() * threads : 0)
                : traits.queryRowsPerThread();
        if (rows == 0) return DEFAULT_QUERY_CHUNK;
        long tokens = (rows + spec.groupSize() - 1) / spec.groupSize();
        int qc = DEFAULT_QUERY_CHUNK;
        while (qc < tokens && qc < MAX_CHUNK) qc *= 2;
        return qc;
    }

    /**
     * Masks and unequal sequence lengths make chunk costs unequal, and a run of equal-cost chunks whose
     * count is not a multiple of the partitions cannot be balanced at any assignment. Finer chunks fix that:
     * halve Qc (down to 16) until the balanced assignment's costliest partition is within 5% of the mean,
     * keeping the best.
     */
    static int balancedQueryChunk(AttentionSpec spec, KernelTraits traits, int qc, int kc, int kvSplits, int partitions,
                                  Sequences seqs) {
        if ((spec.mask().unmasked() && seqs.count() == 1) || partitions <= 1) return qc;
        int best = qc;
        double bestRatio = Double.MAX_VALUE;
        for (int c = qc; c >= Math.min(qc, MIN_QUERY_CHUNK); c /= 2) {
            ChunkPlan p = new ChunkPlan(spec, traits, c, kc, kvSplits, Long.MAX_VALUE, 1, seqs);
            if (p.unitCountLong() > 300_000) break;
            double ratio = Assignment.balanced(p.units(), partitions).maxOverMean();
            if (ratio < bestRatio - 1e-9) {
                best = c;
                bestRatio = ratio;
            }
            if (ratio <= 1.05) break;
        }
        return best;
    }

    private static void checkChunk(ChunkPlanException.Input input, int v) {
        if (v < 0 || v > MAX_CHUNK) {
            throw new ChunkPlanException(input, v + " is out of range", "0 (choose) or 1.." + MAX_CHUNK);
        }
    }

    /** First global chunk of each sequence for query chunk qc; the last entry is the total. */
    static int[] chunkStarts(Sequences seqs, int qc) {
        int[] start = new int[seqs.count() + 1];
        for (int i = 0; i < seqs.count(); i++) {
            start[i + 1] = Math.toIntExact((long) start[i] + ceilDiv(seqs.sq(i), qc));
        }
        return start;
    }

    static int ceilDiv(int a, int b) {
        return (int) (((long) a + b - 1) / b);
    }

    public AttentionSpec spec() {
        return spec;
    }

    public int queryChunk() {
        return queryChunk;
    }

    public int kvChunk() {
        return kvChunk;
    }

    public int kvSplits() {
        return kvSplits;
    }

    public int threads() {
        return threads;
    }

    public long taskMemoryBudget() {
        return taskMemoryBudget;
    }

    /** Query chunks of all sequences together. */
    public int chunks() {
        return chunkStart[sequences.count()];
    }

    public Sequences sequences() {
        return sequences;
    }

    /** The global number of sequence i's first query chunk. */
    public int firstChunk(int sequence) {
        return chunkStart[sequence];
    }

    /**
     * What sequence i's units compute: the template's heads, dims and options with its own lengths, so its
     * mask is bottom-right aligned within it. Not for a sequence without queries or keys (no kernel runs).
     */
    public AttentionSpec sequenceSpec(int sequence) {
        if (sequences.count() == 1) return spec;
        return new AttentionSpec(sequences.sq(sequence), sequences.sk(sequence), spec.hq(), spec.hkv(), spec.d(), spec.dv(),
                spec.scale(), spec.causal(), spec.windowLeft(), spec.windowRight(), spec.softcap());
    }

    /** Unmasked (query, key) pairs of every sequence, per query head. */
    public long totalPairs() {
        long pairs = 0;
        for (int i = 0; i < sequences.count(); i++) {
            if (sequences.sq(i) > 0 && sequences.sk(i) > 0) pairs += sequenceSpec(i).mask().unmaskedPairs(0, sequences.sq(i));
        }
        return pairs;
    }

    public int groups() {
        return spec.hkv();
    }

    /** Units per query chunk: kv groups times key splits. */
    public int unitsPerChunk() {
        return groups() * kvSplits;
    }

    public int unitCount() {
        return Math.toIntExact(unitCountLong());
    }

    private long unitCountLong() {
        return (long) chunks() * spec.hkv() * kvSplits;
    }

    /** Sequence i's units (a subset of {@link #units()}, same indices). */
    public List<UnitOfWork> units(int sequence) {
        List<UnitOfWork> units = new ArrayList<>();
        addUnits(sequence, units);
        return units;
    }

    private void addUnits(int i, List<UnitOfWork> units) {
        int sq = sequences.sq(i), sk = sequences.sk(i);
        if (sq == 0) return;
        AttentionSpec s = sk > 0 ? sequenceSpec(i) : null;
        CostModel cost = s == null ? null : new CostModel(s);
        for (int c = 0; c < ceilDiv(sq, queryChunk); c++) {
            int chunk = chunkStart[i] + c;
            int q0 = c * queryChunk;
            int tokens = Math.min(queryChunk, sq - q0);
            for (int g = 0; g < groups(); g++) {
                for (int k = 0; k < kvSplits; k++) {
                    int from = splitFrom(sk, k), to = splitFrom(sk, k + 1);
                    // a sequence without keys still has a unit per chunk: it writes O = 0 and LSE = -inf
                    long c0 = cost == null ? CostModel.UNIT_OVERHEAD : cost.cost(q0, tokens, from, to);
                    units.add(new UnitOfWork((chunk * groups() + g) * kvSplits + k, chunk, g, q0, tokens, from, to, k, c0, i));
                }
            }
        }
    }

    /** Key range [from, to) of split s, aligned to the kv block so block order stays fixed. */
    public int splitFrom(int s) {
        return splitFrom(spec.sk(), s);
    }

    private int splitFrom(int sk, int s) {
        long blocks = ceilDiv(sk, kvChunk);
        return (int) Math.min(sk, (blocks * s + kvSplits - 1) / kvSplits * kvChunk);
    }

    /**
     * All units in order-key order: index = (chunk * groups + group) * kvSplits + split.
     */
    public List<UnitOfWork> units() {
        List<UnitOfWork> units = new ArrayList<>(unitCount());
        for (int i = 0; i < sequences.count(); i++) addUnits(i, units);
        return units;
    }

    /** The per-task working set: none of the rows depends on Sq or Sk. */
    public List<WorkingSetRow> workingSet() {
        long hg = spec.groupSize(), d = spec.d(), dv = spec.dv(), hq = spec.hq();
        long qc = queryChunk, kc = kvChunk;
        List<WorkingSetRow> rows = new ArrayList<>();
        rows.add(new WorkingSetRow("query rows read", "Qc*Hq*D*4", qc * hq * d * 4));
        rows.add(new WorkingSetRow("query chunk (scaled)", "Qc*Hg*D*4", qc * hg * d * 4));
        rows.add(new WorkingSetRow("summaries (max, sum, acc)", "Qc*Hg*(Dv+2)*4", qc * hg * (dv + 2) * 4));
        long hkv = spec.hkv();
        int span = readSpanBlocks();
        rows.add(new WorkingSetRow("kv rows read, current + next span", "2*" + span + "*Kc*Hkv*(D+Dv)*4",
                2L * span * kc * hkv * (d + dv) * 4));
        if (threads > 1) { // the kernel's threads compute one block while one of them loads the next
            rows.add(new WorkingSetRow("kv blocks of one head, current + next", "2*Kc*(D+Dv)*4", 2 * kc * (d + dv) * 4));
        } else {
            rows.add(new WorkingSetRow("kv block of one head", "Kc*(D+Dv)*4", kc * (d + dv) * 4));
        }
        rows.add(scratch);
        rows.add(new WorkingSetRow("finished output chunk (O, LSE)", "Qc*Hg*(Dv+1)*4", qc * hg * (dv + 1) * 4));
        return rows;
    }

    /**
     * kv blocks per read of the stream strategy: as many as fit in {@link #READ_SPAN_BYTES} (all kv heads
     * of a block are read together), between 1 and {@link #MAX_READ_SPAN_BLOCKS}. Two spans are held.
     */
    public int readSpanBlocks() {
        long blockBytes = (long) kvChunk * spec.hkv() * (spec.d() + spec.dv()) * 4;
        return (int) Math.max(1, Math.min(MAX_READ_SPAN_BLOCKS, READ_SPAN_BYTES / blockBytes));
    }

    public long workingSetBytes() {
        return workingSet().stream().mapToLong(WorkingSetRow::bytes).sum();
    }

    /** 2 * unmasked pairs * Hq * (D + Dv), over every sequence. */
    public double totalFlops() {
        return sequences.count() == 1 ? spec.flops() : 2.0 * totalPairs() * spec.hq() * (spec.d() + spec.dv());
    }

    public MaskGeometry mask() {
        return spec.mask();
    }
}
