package io.longattn.kernels;

import java.util.List;

/**
 * Runs units of work (query chunk, kv head group) through a kernel: by default it streams the kv
 * blocks the mask allows through {@link AttentionKernel#accumulate} in a fixed order (ascending,
 * aligned to the kv block size from key 0), so the result's bits depend only on the unit and the block
 * size, never on partitions, executors or retries. A kernel that runs whole units itself (a device
 * kernel) takes over through {@link AttentionKernel#runUnit}; this class is then only its host.
 * Owns its buffers; one instance per task or thread, reused unit after unit.
 */
public final class UnitRunner {
    private final AttentionSpec spec;
    private final AttentionKernel kernel;
    private final MaskGeometry mask;
    private final int kvBlockSize;
    private final QueryChunk query;
    private final SoftmaxState state;
    private final KvBlock block;
    /** The second kv buffer of a kernel with threads of its own (the next block loads into it), else null. */
    private final KvBlock next;
    private final Loader loader = new Loader();
    /** The summary of the last unit run, for {@link #finishInto}. */
    private UnitSummary last;
    private long blocksVisited;

    public UnitRunner(AttentionSpec spec, AttentionKernel kernel, int queryChunkTokens, int kvBlockSize) {
        this.spec = spec;
        this.kernel = kernel;
        this.mask = spec.mask();
        this.kvBlockSize = kvBlockSize;
        int hg = spec.groupSize();
        this.query = new QueryChunk(queryChunkTokens, hg, spec.d());
        this.state = new SoftmaxState(Math.multiplyExact(queryChunkTokens, hg), spec.dv());
        this.block = new KvBlock(kvBlockSize, spec.d(), spec.dv());
        this.next = kernel.threads() > 1 ? new KvBlock(kvBlockSize, spec.d(), spec.dv()) : null;
        this.last = state;
    }

    public AttentionKernel kernel() {
        return kernel;
    }

    public AttentionSpec spec() {
        return spec;
    }

    /** Keys per kv block: the unit of the fixed fold order. */
    public int kvBlockSize() {
        return kvBlockSize;
    }

    /** The query buffer to fill (with {@link QueryChunk#load}) before {@link #run} or {@link #summarize}. */
    public QueryChunk query() {
        return query;
    }

    /** kv blocks folded in by the default (host) path so far. */
    public long blocksVisited() {
        return blocksVisited;
    }

    /**
     * Attends the loaded query chunk (kv group g) to every allowed kv block from source, then writes
     * O [tokens][hg][dv] into out at outOffset and, if lse is not null, LSE [tokens][hg] at lseOffset.
     */
    public void run(int group, KvSource source, float[] out, int outOffset, float[] lse, int lseOffset) {
        summarize(group, source, 0, spec.sk());
        finishInto(out, outOffset, lse, lseOffset);
    }

    /**
     * Folds the allowed kv blocks that start in [kvFrom, kvTo) (block-aligned bounds) into a fresh
     * summary of the loaded query chunk and returns it (valid until the next call). Split-KV units use
     * this directly.
     */
    public UnitSummary summarize(int group, KvSource source, int kvFrom, int kvTo) {
        last = kernel.runUnit(new UnitInput(query, group, kvFrom, kvTo), source, this);
        return last;
    }

    /**
     * Runs a batch of units (each with its own loaded query chunk) through the kernel; sink gets each
     * unit's summary while it is valid.
     */
    public void runBatch(List<UnitInput> units, KvSource source, UnitSink sink) {
        kernel.runUnits(units, source, this, sink);
    }

    /** Writes the last unit's output, as {@link #run} does. */
    public void finishInto(float[] out, int outOffset, float[] lse, int lseOffset) {
        last.finish(query.rows(), out, outOffset, lse, lseOffset);
    }

    /** The default path of {@link AttentionKernel#runUnit}: one host round trip per kv block. */
    UnitSummary foldBlocks(UnitInput unit, KvSource source) {
        state.reset();
        QueryChunk q = unit.query();
        int group = unit.group();
        int q0 = q.q0(), tokens = q.tokens();
        int lo = Math.max(unit.kvFrom(), mask.unionLo(q0, tokens));
        int hi = Math.min(unit.kvTo(), mask.unionHi(q0, tokens));
        if (lo >= hi) return state;
        int first = lo / kvBlockSize, last = (hi - 1) / kvBlockSize;
        if (next == null) {
            for (int b = nextAllowed(first, last, q0, tokens); b <= last; b = nextAllowed(b + 1, last, q0, tokens)) {
                load(source, group, b, block);
                kernel.accumulate(q, block, state);
                blocksVisited++;
            }
            return state;
        }
        // the kernel's threads compute block b while one of them loads the next allowed block into the
        // other buffer: the load is not a serial step that leaves the others waiting
        KvBlock cur = block, other = next;
        int b = nextAllowed(first, last, q0, tokens);
        if (b > last) return state;
        load(source, group, b, cur);
        while (b <= last) {
            int n = nextAllowed(b + 1, last, q0, tokens);
            if (n <= last) loader.set(source, group, n, other);
            kernel.accumulate(q, cur, state, n <= last ? loader : null);
            blocksVisited++;
            KvBlock t = cur;
            cur = other;
            other = t;
            b = n;
        }
        return state;
    }

    /** Loads one kv block; reused block after block (nothing allocated per block). */
    private final class Loader implements Runnable {
        private KvSource source;
        private int group;
        private int b;
        private KvBlock into;

        void set(KvSource source, int group, int b, KvBlock into) {
            this.source = source;
            this.group = group;
            this.b = b;
            this.into = into;
        }

        @Override
        public void run() {
            load(source, group, b, into);
        }
    }

    /** The first block in [b, last] that the mask does not fully hide, or last + 1. */
    private int nextAllowed(int b, int last, int q0, int tokens) {
        for (; b <= last; b++) {
            int k0 = b * kvBlockSize;
            if (!mask.blockFullyMasked(q0, tokens, k0, Math.min(kvBlockSize, spec.sk() - k0))) return b;
        }
        return b;
    }

    private void load(KvSource source, int group, int b, KvBlock into) {
        int k0 = b * kvBlockSize;
        source.load(group, k0, Math.min(kvBlockSize, spec.sk() - k0), into);
    }
}
