package io.longattn.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.util.Arrays;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * jdk.incubator.vector kernel, register-blocked as FlashAttention-2 on a CPU.
 *
 * <p>Per kv block: K is packed once into panels of {@code W = NV} vector widths of keys (NV = 2, or 4
 * with AVX-512),
 * {@code kp[panel][c][W]} (key index contiguous), and V's full W-column groups into
 * {@code vp[group][key][W]}, both shared by every query row of the chunk; each thread packs its rows'
 * queries as {@code [tile][c][R]}. The block is then walked in sub-blocks of {@link #SUB} keys (packed
 * K and V of a sub-block stay in L2 while every row tile passes over them); for each tile of
 * {@link #R} query rows:
 * <ol>
 * <li>scores: an R x NV-vector micro-kernel (4 x 2 with 16 vector registers; 6 x 4 with AVX-512's 32;
 * 8 x 2 kept for measuring. For 4 x 2: 8 accumulators, 2 key loads and 4 broadcasts of q per
 * step over d, all indices affine in the loop variable so C2 drops the range checks) writes R x W
 * scores per panel into a per-thread scratch tile;</li>
 * <li>online softmax per row: block max, rescale factor alpha = 2^(m - m') (skipped when the max
 * did not change), p = 2^(s - m') by {@link #exp2}, row sum;</li>
 * <li>P V: an R rows x NV-vector micro-kernel over dv, accumulators loaded from the summary once per
 * sub-block (times alpha when the max moved), one pass over the sub-block's keys, stored back.</li>
 * </ol>
 * Masks: the caller skips fully masked blocks; a tile whose rows all see the whole sub-block takes
 * the no-mask path; only straddling tiles compute per-row bounds, restrict the panels they score to
 * the tile's union of allowed keys, and set masked scores to -inf (a row left with no key in the
 * sub-block gets p = 0 and leaves its summary untouched, so no NaN can appear).
 *
 * <p>exp: measured both ways here (2-core Zen 3 VM, AVX2). In isolation, over a 512-float row:
 * {@code lanewise(VectorOperators.EXP)} (SVML stub call) ~0.65 ns/float on JDK 17 and 25; the exp2
 * polynomial below (rounding by a magic-number add, no float/int conversion) ~0.5 ns/float on both;
 * the same polynomial with {@code convert(F2I)} ~10-20 ns/float on JDK 17 (conversion not
 * intrinsified; ~0.5 on JDK 25). Inside this kernel (Sq = Sk = 4096, D = 64, the two run
 * alternately in one JVM, median of 11 pairs) the polynomial was 1.07x faster on JDK 17 and 1.11x on
 * JDK 25, so the kernel uses {@link #exp2}. It also needs no ln 2 multiply: scores are in log2 units.
 * On the device machine's Xeon (AVX-512, 16 lanes; S = 16384, D = 64, 1 thread, GFLOP/s, runs of one
 * batch) lanewise(EXP) was no better: 52.7 against 56.3 / 67.0 with 6 x 4 tiles, 54.7 / 53.1 against
 * 69.5 / 48.0 with 8 x 2 (that machine's figures vary by up to 1.5x from run to run).
 *
 * <p>On the device machine's AVX-512 Xeon (Emerald Rapids VM) the kernel reaches ~0.5 of the FMA probe
 * at 1 thread against ~0.8 on the 2-core AVX2 machine. A JFR profile there (S = 16384, D = 64) put 73%
 * of the samples in the two micro-kernels, 18% in the softmax and 5% in packing, so the micro-kernels
 * run at ~0.7 of the probe; C2's code for the 6 x 4 loop carried, per 24 FMAs, two GPR-XMM spill moves,
 * two range checks on qp and ~10 index operations ({@link #QS} removed the first two; one round there
 * showed no speed-up within that machine's noise). Measured there and not kept (no gain beyond that
 * machine's run-to-run noise, or a loss): 12 x 2 tiles; sub-blocks of 64 and 128 keys (64: K and V in
 * L1: 14% fewer micro-kernel samples, but the softmax's grew from 149 to 247); scoring panel by panel
 * across the tiles of an item and P V in 64-key chunks across them (bit-identical, not faster).
 * Measured here and not kept: the d and key loops unrolled by two (0.56-0.73 of peak against
 * 0.79-0.87), explicit induction variables (C2 then kept range checks on kp), four partial lane sums
 * in the softmax (no change), -XX:LoopUnrollLimit=250 (half speed).
 *
 * <p>Vectors live only in local variables of the micro-kernels: a FloatVector kept in a field or
 * array boxes and runs ~10x slower. The hot loops allocate nothing.
 *
 * <p>Threads: with {@code threads > 1} the kernel owns {@code threads - 1} daemon workers; each call
 * splits the K/V packing by panels between the caller and the workers, meets at a spin barrier, then
 * hands out row tiles guided from an atomic counter (items of 8 tiles while much is left, down to one
 * at the end; spin, then park, handshakes; no executor). The first thread through the barrier runs
 * the call's {@code alongside} task, which {@link UnitRunner} uses to load the next kv block into a
 * second buffer: no serial load leaves the other threads waiting between blocks.
 * Close the kernel to stop the workers.
 */
public final class SimdKernel implements AttentionKernel {
    /** Whether C2 has 32 vector registers here (AVX-512: UseAVX >= 3), so 8-row tiles fit. */
    private static final boolean REGS32 = regs32();
    /**
     * The species: SPECIES_PREFERRED, unless {@code -Dlongattn.simd.bits=256|512} names another one
     * (for measuring; an unsupported size falls back to the preferred one).
     */
    private static final VectorSpecies<Float> S = species(Integer.getInteger("longattn.simd.bits", 0));
    private static final int L = S.length();
    /**
     * Vectors per tile row (keys per panel W = NV vectors): 4 where there are 32 vector registers
     * (AVX-512), else 2. Override with {@code -Dlongattn.simd.vecs=2|4} (for measuring).
     */
    private static final int NV = vecs(Integer.getInteger("longattn.simd.vecs", 0));
    /** Keys per packed panel: NV vectors. */
    private static final int W = NV * L;
    /**
     * Query rows per register tile. With 16 vector registers (AVX2): 4 rows x 2 vectors, 8 accumulators.
     * With 32 (AVX-512): 6 rows x 4 vectors, 24 accumulators + 4 key vectors + 1 broadcast = 29
     * registers; measured on the device machine's Xeon (16 lanes, S = 16384, D = 64, 1 thread, same
     * runs, GFLOP/s): 6x4 56.3 / 67.0, 4x4 52.3 / 61.3, 8x2 53.3 / 55.1, and earlier 4x2 63.0 / 43.5
     * against 8x2 69.5 / 48.0; D = 128: 6x4 81.8, 4x4 65.6. Fewer broadcasts per FMA (1 in 4 instead
     * of 1 in 2) and fewer key loads per FMA (4x4 was dropped after these figures). Override with
     * {@code -Dlongattn.simd.rows=8} with 2 vectors (for measuring; CI tests it).
     */
    private static final int R = rows(Integer.getInteger("longattn.simd.rows", 0));
    /**
     * Keys per sub-block: a multiple of W, and a constant so the rows of the score tile are a fixed
     * displacement apart in the micro-kernels. Measured here (Sq = Sk = 8192, D = 64, kv blocks of
     * 512): ratio to peak ~0.65 with 64, ~0.73 with 128, ~0.78 with 256, no better with 512; the
     * per-(tile, sub-block) costs (accumulator load/store, row reductions) outweigh L1 residency.
     * On the device machine's Xeon (8 x 2 tiles) 128 and 512 were not clearly different from 256
     * within that machine's run-to-run noise. {@code -Dlongattn.simd.sub=N} overrides (for measuring).
     */
    static final int SUB = Math.max(W, Integer.getInteger("longattn.simd.sub", 256) / W * W);
    /** Use lanewise(EXP) instead of {@link #exp2} ({@code -Dlongattn.simd.exp=svml}, for measuring). */
    private static final boolean SVML_DEFAULT = "svml".equals(System.getProperty("longattn.simd.exp"));
    private static final float LN2 = (float) AttentionSpec.LN_2;
    private static final int SPIN = 1 << 14;
    private static final int PAD = 32;
    /**
     * First used index of kp, vp and sc, 0 ({@code -Dlongattn.simd.off=N} for measuring alignment: with
     * -XX:ObjectAlignmentInBytes=64, 12 puts them on 64-byte boundaries; on the device machine's Xeon
     * that was not measurably faster than 0).
     */
    private static final int OFF = Integer.getInteger("longattn.simd.off", 0);
    /**
     * Rows per work item, at most: 8 tiles. Each item walks the whole kv block, sub-block by sub-block,
     * so a sub-block's packed K and V are reused from L2 by the item's tiles; with threads, items go to
     * threads dynamically and shrink towards the end of a call. Tiles always start at multiples of R
     * from row 0, and each row sees the sub-blocks in the same order, so the result's bits do not
     * depend on the thread count.
     */
    private static final int GROUP_ROWS = 8 * R;
    /**
     * Row stride of a packed query tile, qp[tile][c][QS]: R rounded up to a power of two (8 for 6-row
     * tiles). With 6, C2 turned {@code c * 6} into shifts and an add, and the loop kept two range
     * checks on qp per 24 FMAs (seen in the AVX-512 code); a power-of-two stride keeps the index affine.
     */
    private static final int QS = Integer.highestOneBit(R) == R ? R : 2 * Integer.highestOneBit(R);

    /**
     * Query rows a call should carry per thread of the kernel's own (chunk planners size Qc from it).
     * With fewer, the guided items shrink to single tiles, and each streams the whole packed kv block
     * from shared cache for a few rows. Measured on the device machine's 16-core Xeon (S = 16384,
     * D = 64, 16 threads, one batch): 571 GFLOP/s with 512-row calls, 827 with 2048.
     */
    public static final int ROWS_PER_THREAD = 128;

    private final AttentionSpec spec;
    private final MaskGeometry mask;
    private final int d;
    private final int dv;
    private final boolean cap;
    private final float capF;
    private final int threads;
    private final boolean svmlExp;
    private final Part[] parts;
    private final Worker[] workers;
    /** K of the block packed [panel][c][W]. */
    private float[] kp = new float[0];
    /** The full W-column groups of V packed [group][key][W]. */
    private float[] vp = new float[0];

    // The call being run by the workers; published by the volatile write of epoch.
    private QueryChunk curQ;
    private KvBlock curKv;
    private SoftmaxState curState;
    private Runnable curAlongside;
    private volatile long epoch;
    private volatile boolean closed;
    private final AtomicInteger pending = new AtomicInteger();
    private final AtomicLong packed = new AtomicLong();
    /** Next row tile of the call to hand out (threads take items as they finish: no straggler waits). */
    private final AtomicInteger nextTile = new AtomicInteger();
    /** 0 until a thread of the call has claimed the call's alongside task. */
    private final AtomicInteger alongsideTaken = new AtomicInteger();
    private volatile Throwable failure;

    public SimdKernel(AttentionSpec spec) {
        this(spec, 1);
    }

    /** A kernel that splits every call between the calling thread and {@code threads - 1} workers it owns. */
    public SimdKernel(AttentionSpec spec, int threads) {
        this(spec, threads, SVML_DEFAULT);
    }

    /** svmlExp: use lanewise(EXP) instead of the exp2 polynomial (kept for measuring the two). */
    SimdKernel(AttentionSpec spec, int threads, boolean svmlExp) {
        this.svmlExp = svmlExp;
        if (threads < 1) {
            throw new IllegalArgumentException("threads " + threads + " is invalid, expected >= 1");
        }
        this.spec = spec;
        this.mask = spec.mask();
        this.d = spec.d();
        this.dv = spec.dv();
        this.cap = spec.hasSoftcap();
        this.capF = spec.softcapFactor();
        this.threads = threads;
        this.parts = new Part[threads];
        for (int t = 0; t < threads; t++) parts[t] = new Part(t);
        this.workers = new Worker[threads - 1];
        for (int t = 1; t < threads; t++) {
            Worker w = new Worker(parts[t]);
            w.setDaemon(true);
            w.setName("longattn-simd-" + t);
            workers[t - 1] = w;
            w.start();
        }
    }

    /** Null when the Vector API can be used here, else why not. */
    public static String unavailableReason() {
        if (S.length() < 4) {
            return "preferred float vector has " + S.length() + " lanes, expected at least 4";
        }
        return null;
    }

    /** The register tile, rows x vectors, e.g. "4x2" (for tests). */
    static String tileShape() {
        return R + "x" + NV;
    }

    public static String describe() {
        return S.length() + " float lanes (" + S.vectorBitSize() + "-bit" + (REGS32 ? ", 32 registers" : "") + "), "
                + R + "x" + W + " tiles, " + SUB + "-key sub-blocks" + (SVML_DEFAULT ? ", svml exp" : ", exp2 polynomial");
    }

    private static boolean regs32() {
        if (FloatVector.SPECIES_PREFERRED.vectorBitSize() >= 512) return true;
        try {
            Class<?> c = Class.forName("com.sun.management.HotSpotDiagnosticMXBean");
            @SuppressWarnings("unchecked")
            Object bean = java.lang.management.ManagementFactory.getPlatformMXBean(
                    (Class<? extends java.lang.management.PlatformManagedObject>) c);
            Object opt = c.getMethod("getVMOption", String.class).invoke(bean, "UseAVX");
            String v = (String) opt.getClass().getMethod("getValue").invoke(opt);
            return Integer.parseInt(v) >= 3;
        } catch (Throwable t) {
            return false;
        }
    }

    private static VectorSpecies<Float> species(int bits) {
        if (bits == 256 || bits == 512 || bits == 128) {
            VectorSpecies<Float> s = VectorSpecies.of(float.class, jdk.incubator.vector.VectorShape.forBitSize(bits));
            if (s.vectorBitSize() <= FloatVector.SPECIES_PREFERRED.vectorBitSize()) return s;
        }
        return FloatVector.SPECIES_PREFERRED;
    }

    private static int vecs(int forced) {
        if (forced == 2 || forced == 4) return forced;
        return REGS32 ? 4 : 2;
    }

    private static int rows(int forced) {
        if (NV == 4) return 6;
        return forced == 8 ? 8 : 4;
    }

    @Override
    public String name() {
        return "simd";
    }

    @Override
    public int threads() {
        return threads;
    }

    @Override
    public void accumulate(QueryChunk q, KvBlock kv, SoftmaxState state) {
        accumulate(q, kv, state, null);
    }

    @Override
    public void accumulate(QueryChunk q, KvBlock kv, SoftmaxState state, Runnable alongside) {
        final int n = kv.length();
        if (n == 0 || q.rows() == 0) {
            if (alongside != null) alongside.run();
            return;
        }
        final int panels = (n + W - 1) / W;
        if (kp.length < panels * d * W + OFF || vp.length < panels * W * (dv / W) * W + OFF) {
            int cap = (kv.capacity + W - 1) / W * W;
            kp = new float[cap * d + OFF];
            vp = new float[cap * (dv / W) * W + OFF];
        }
        if (closed) throw new IllegalStateException("kernel is closed");
        final int rows = q.rows();
        if (threads == 1 || rows <= GROUP_ROWS) {
            pack(kv, 0, panels);
            for (int r = 0; r < rows; r += GROUP_ROWS) {
                parts[0].compute(q, kv, state, r, Math.min(rows, r + GROUP_ROWS));
            }
            if (alongside != null) alongside.run();
            return;
        }
        curQ = q;
        curKv = kv;
        curState = state;
        curAlongside = alongside;
        failure = null;
        pending.set(threads - 1);
        nextTile.set(0);
        alongsideTaken.set(alongside == null ? 1 : 0);
        epoch = epoch + 1; // publishes the fields above
        for (Worker w : workers) LockSupport.unpark(w);
        try {
            runPart(parts[0], epoch);
        } finally {
            int spins = 0;
            while (pending.get() != 0) {
                if (++spins < SPIN) Thread.onSpinWait();
                else Thread.yield();
            }
        }
        Throwable f = failure;
        if (f != null) {
            if (f instanceof RuntimeException re) throw re;
            if (f instanceof Error e) throw e;
            throw new IllegalStateException(f);
        }
    }

    /** One thread's share of a call: a slice of the K/V panels, the barrier, then row groups as they come. */
    private void runPart(Part part, long call) {
        QueryChunk q = curQ;
        KvBlock kv = curKv;
        int n = kv.length();
        int panels = (n + W - 1) / W;
        int t = part.index;
        try {
            pack(kv, panels * t / threads, panels * (t + 1) / threads);
        } finally {
            packed.incrementAndGet(); // the barrier must open even when a part fails
        }
        long target = call * threads;
        int spins = 0;
        while (packed.get() < target) {
            if (++spins < SPIN) Thread.onSpinWait();
            else Thread.yield();
        }
        if (alongsideTaken.getAndIncrement() == 0) curAlongside.run(); // the first thread through takes it
        SoftmaxState state = curState;
        // guided self-scheduling of row tiles: items of up to GROUP_ROWS / R tiles while much is left (a
        // sub-block's packed K and V are reused from L2 by an item's tiles), shrinking to single tiles at
        // the end so no thread waits long for the last one
        final int rows = q.rows(), tiles = (rows + R - 1) / R, maxItem = GROUP_ROWS / R, div = 2 * threads;
        while (true) {
            int t0 = nextTile.get();
            if (t0 >= tiles) break;
            int t1 = Math.min(tiles, t0 + Math.max(1, Math.min(maxItem, (tiles - t0) / div)));
            if (nextTile.compareAndSet(t0, t1)) part.compute(q, kv, state, t0 * R, Math.min(rows, t1 * R));
        }
    }

    /**
     * Packs keys of panels [p0, p1) into kp[panel][c][W] (zero past the block's end) and their values'
     * full W-column groups into vp[group][key][W].
     */
    private void pack(KvBlock kv, int p0, int p1) {
        final float[] k = kv.k, dst = kp, v = kv.v, vdst = vp;
        final int n = kv.length();
        final int nPad = (n + W - 1) / W * W;
        final int groups = dv / W;
        for (int j = p0 * W, je = Math.min(n, p1 * W); j < je; j++) {
            final int src = j * dv;
            for (int g = 0; g < groups; g++) {
                final int o = (g * nPad + j) * W + OFF, sv = src + g * W;
                for (int h = 0; h < W; h += L) FloatVector.fromArray(S, v, sv + h).intoArray(vdst, o + h);
            }
        }
        for (int p = p0; p < p1; p++) {
            final int base = p * d * W;
            final int j0 = p * W;
            final int cnt = Math.min(W, n - j0);
            if (cnt == W) {
                // c outer, keys inner: contiguous stores; the W source rows stay in L1
                for (int c = 0; c < d; c++) {
                    final int o = base + c * W + OFF;
                    int src = j0 * d + c;
                    for (int w = 0; w < W; w++, src += d) dst[o + w] = k[src];
                }
            } else {
                for (int c = 0; c < d; c++) {
                    final int o = base + c * W + OFF;
                    for (int w = 0; w < cnt; w++) dst[o + w] = k[(j0 + w) * d + c];
                    for (int w = cnt; w < W; w++) dst[o + w] = 0f;
                }
            }
        }
    }

    /** Whether any worker thread of this kernel is still alive (for tests). */
    boolean workersAlive() {
        for (Worker w : workers) if (w.isAlive()) return true;
        return false;
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        for (Worker w : workers) LockSupport.unpark(w);
        for (Worker w : workers) {
            try {
                w.join(1000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private final class Worker extends Thread {
        private final Part part;

        Worker(Part part) {
            this.part = part;
        }

        @Override
        public void run() {
            long seen = 0;
            while (true) {
                long e;
                int spins = 0;
                while ((e = epoch) == seen) {
                    if (closed) return;
                    if (++spins < SPIN) Thread.onSpinWait();
                    else LockSupport.parkNanos(this, 1_000_000L);
                }
                seen = e;
                try {
                    runPart(part, e);
                } catch (Throwable t) {
                    failure = t;
                } finally {
                    pending.decrementAndGet();
                }
            }
        }
    }

    /** Per-thread scratch and the tile loop. */
    private final class Part {
        final int index;
        // The parts' scratch arrays are allocated one after the other: PAD unused slots at the end of
        // each keep the next array (maybe another thread's) off its cache lines (false sharing).
        /** Scores, then probabilities, of one row tile: [R][SUB]. */
        final float[] sc = new float[OFF + R * SUB + PAD];
        final int[] lo = new int[R + PAD];
        final int[] hi = new int[R + PAD];
        final float[] alpha = new float[R + PAD];
        final float[] lanes = new float[L + PAD];
        /** Accumulator rows of a partial (padded) tile: [R][dv]. */
        final float[] tacc;
        /** This part's full row tiles of the query chunk, packed [tile][c][R]. */
        float[] qp = new float[0];

        Part(int index) {
            this.index = index;
            this.tacc = new float[R * dv + PAD];
        }

        /** Rows [r0, r1) of the chunk (r0 a multiple of R) against the whole block. */
        void compute(QueryChunk q, KvBlock kv, SoftmaxState state, int r0, int r1) {
            if (r0 >= r1) return;
            final int n = kv.length();
            final int k0 = kv.k0();
            // a last partial tile is packed with zero rows and runs through the same R-row
            // micro-kernels (a one-row kernel costs ~6x more per flop: a 4-row tail of a 256-row chunk
            // would take ~9% of the time with 6-row tiles); each row's arithmetic is the same in a
            // full and in a padded tile, so the bits do not depend on where the tiles fall
            final int tiles = (r1 - r0 + R - 1) / R;
            if (qp.length < tiles * QS * d) qp = new float[Math.max(tiles * QS * d, 2 * qp.length)];
            packQ(q.data, r0, r1, tiles);
            final boolean chunkFull = mask.blockFullyVisible(q.q0(), q.tokens(), k0, n);
            for (int kb = 0; kb < n; kb += SUB) {
                final int ke = Math.min(kb + SUB, n);
                for (int t = 0; t < tiles; t++) {
                    final int r = r0 + t * R;
                    tile(q, kv, state, r, Math.min(R, r1 - r), t * QS * d, kb, ke, chunkFull);
                }
            }
        }

        /** Packs rows [r0, r1) as tiles [tile][c][R], the rows past r1 of the last tile as zeros. */
        private void packQ(float[] q, int r0, int r1, int tiles) {
            final float[] dst = qp;
            for (int t = 0; t < tiles; t++) {
                final int base = t * QS * d;
                for (int i = 0; i < R; i++) {
                    final int row = r0 + t * R + i;
                    if (row < r1) {
                        final int src = row * d;
                        for (int c = 0; c < d; c++) dst[base + c * QS + i] = q[src + c];
                    } else {
                        for (int c = 0; c < d; c++) dst[base + c * QS + i] = 0f;
                    }
                }
            }
        }

        /**
         * Rows [r, r + nr) (nr <= R; the packed tile at qp[qo] has R rows, zeros past nr) against keys
         * [kb, ke) of the block (block-relative).
         */
        private void tile(QueryChunk q, KvBlock kv, SoftmaxState state, int r, int nr, int qo, int kb, int ke,
                          boolean chunkFull) {
            final int k0 = kv.k0();
            int uLo = kb, uHi = ke;
            boolean full = chunkFull;
            if (!full) {
                int tFirst = q.tokenOfRow(r), tLast = q.tokenOfRow(r + nr - 1);
                full = mask.blockFullyVisible(tFirst, tLast - tFirst + 1, k0 + kb, ke - kb);
            }
            if (full) {
                for (int i = 0; i < nr; i++) {
                    lo[i] = kb;
                    hi[i] = ke;
                }
            } else {
                uLo = ke;
                uHi = kb;
                for (int i = 0; i < nr; i++) {
                    int tok = q.tokenOfRow(r + i);
                    int a = Math.max(kb, mask.loKey(tok) - k0);
                    int b = Math.min(ke, mask.hiKey(tok) - k0);
                    if (a >= b) {
                        a = 0;
                        b = 0;
                    } else {
                        uLo = Math.min(uLo, a);
                        uHi = Math.max(uHi, b);
                    }
                    lo[i] = a;
                    hi[i] = b;
                }
                if (uLo >= uHi) return;
            }
            final int js = uLo / W * W;
            final int je = (uHi + W - 1) / W * W;
            final float[] s = sc;
            // 1. scores for panels [js/W, je/W) into sc[i][j - kb]
            if (R == 8) {
                for (int j = js; j < je; j += W) scores8(qp, qo, d, kp, j * d + OFF, s, OFF + j - kb);
            } else if (R == 6) {
                for (int j = js; j < je; j += W) scores6x4(qp, qo, d, kp, j * d + OFF, s, OFF + j - kb);
            } else {
                for (int j = js; j < je; j += W) scores4(qp, qo, d, kp, j * d + OFF, s, OFF + j - kb);
            }
            // 2. online softmax per row; the padding rows of a partial tile keep their (zero) scores as
            // p and alpha 1: they only ever touch the padding rows of the scratch accumulator
            boolean rescale = false;
            for (int i = 0; i < nr; i++) {
                float a = softmaxRow(state, r + i, OFF + i * SUB - kb, js, je, lo[i], hi[i]);
                alpha[i] = a;
                if (a != 1f) rescale = true;
            }
            for (int i = nr; i < R; i++) alpha[i] = 1f;
            // 3. acc = acc * alpha + P V over keys [uLo, uHi); a partial tile works on a scratch copy
            final float[] acc;
            final int a0;
            if (nr == R) {
                acc = state.acc;
                a0 = r * dv;
            } else {
                acc = tacc;
                a0 = 0;
                System.arraycopy(state.acc, r * dv, acc, 0, nr * dv);
                Arrays.fill(acc, nr * dv, R * dv, 0f);
            }
            final float[] v = kv.v, vpk = vp;
            final int groups = dv / W, dvw = groups * W, dvl = dv / L * L;
            final int nPad = (kv.length() + W - 1) / W * W;
            final int s0 = OFF - kb;
            if (R == 8) {
                for (int g = 0; g < groups; g++) {
                    pv8x2(acc, a0 + g * W, dv, vpk, g * nPad * W + OFF, s, s0, uLo, uHi, alpha, rescale);
                }
            } else if (R == 6) {
                for (int g = 0; g < groups; g++) {
                    pv6x4(acc, a0 + g * W, dv, vpk, g * nPad * W + OFF, s, s0, uLo, uHi, alpha, rescale);
                }
            } else {
                for (int g = 0; g < groups; g++) {
                    pv4x2(acc, a0 + g * W, dv, vpk, g * nPad * W + OFF, s, s0, uLo, uHi,
                            alpha[0], alpha[1], alpha[2], alpha[3], rescale);
                }
            }
            int i4 = 0;
            for (; i4 + 4 <= R; i4 += 4) {
                for (int c = dvw; c < dvl; c += L) {
                    pv4x1(acc, a0 + i4 * dv + c, dv, v, c, s, s0 + i4 * SUB, uLo, uHi,
                            alpha[i4], alpha[i4 + 1], alpha[i4 + 2], alpha[i4 + 3], rescale);
                }
            }
            for (; i4 < R; i4++) {
                for (int c = dvw; c < dvl; c += L) {
                    pv1x1(acc, a0 + i4 * dv + c, dv, v, c, s, s0 + i4 * SUB, uLo, uHi, alpha[i4], rescale);
                }
            }
            for (int i = 0; i < R; i++) {
                pvScalar(acc, a0 + i * dv, dv, v, dvl, dv, s, s0 + i * SUB, uLo, uHi, alpha[i]);
            }
            if (nr < R) System.arraycopy(acc, 0, state.acc, r * dv, nr * dv);
        }

        /**
         * Softmax bookkeeping of one row whose scores are sc[so + j] for j in [js, je) and whose allowed
         * keys are [lo, hi): turns scores into p = 2^(s - m') in place (0 outside [lo, hi)), updates the
         * row's max and sum and returns alpha = 2^(m - m') for its accumulator (1 when m did not move).
         */
        private float softmaxRow(SoftmaxState state, int row, int so, int js, int je, int lo, int hi) {
            final float[] s = sc;
            if (lo >= hi) {
                Arrays.fill(s, so + js, so + je, 0f);
                return 1f;
            }
            if (cap) {
                final FloatVector cf = FloatVector.broadcast(S, capF);
                for (int j = js; j < je; j += L) {
                    FloatVector.fromArray(S, s, so + j).lanewise(VectorOperators.TANH).mul(cf).intoArray(s, so + j);
                }
            }
            if (lo > js) Arrays.fill(s, so + js, so + lo, Float.NEGATIVE_INFINITY);
            if (hi < je) Arrays.fill(s, so + hi, so + je, Float.NEGATIVE_INFINITY);
            // block max; compare + blend, as FloatVector.max's NaN/-0 semantics cost 5 instructions
            FloatVector mx = FloatVector.fromArray(S, s, so + js);
            for (int j = js + L; j < je; j += L) {
                FloatVector x = FloatVector.fromArray(S, s, so + j);
                mx = mx.blend(x, mx.lt(x));
            }
            final float bm = mx.reduceLanes(VectorOperators.MAX);
            final float mOld = state.max[row];
            final float mNew = Math.max(mOld, bm);
            final float alpha = mNew == mOld ? 1f : (float) Math.exp((mOld - mNew) * AttentionSpec.LN_2);
            final FloatVector mv = FloatVector.broadcast(S, mNew);
            FloatVector sum = FloatVector.zero(S);
            if (svmlExp) {
                final FloatVector ln2 = FloatVector.broadcast(S, LN2);
                for (int j = js; j < je; j += L) {
                    FloatVector p = FloatVector.fromArray(S, s, so + j).sub(mv).mul(ln2).lanewise(VectorOperators.EXP);
                    sum = sum.add(p);
                    p.intoArray(s, so + j);
                }
            } else {
                for (int j = js; j < je; j += L) {
                    FloatVector p = exp2(FloatVector.fromArray(S, s, so + j).sub(mv));
                    sum = sum.add(p);
                    p.intoArray(s, so + j);
                }
            }
            // lanes added in a fixed order: reduceLanes(ADD) sums in a different order when intrinsified
            // (C2) than in its Java fallback (interpreter, C1), so its bits would depend on JIT timing
            sum.intoArray(lanes, 0);
            float rs = 0f;
            for (int i = 0; i < L; i++) rs += lanes[i];
            state.sum[row] = state.sum[row] * alpha + rs;
            state.max[row] = mNew;
            return alpha;
        }
    }

    private static final float MAGIC = 12582912f; // 1.5 * 2^23: x + MAGIC rounds x to an integer in the low mantissa bits
    // degree-5 minimax fit of 2^f on [-0.5, 0.5] (relative error 1.7e-7 evaluated in float32)
    private static final float E1 = 6.931469776e-01f;
    private static final float E2 = 2.402224208e-01f;
    private static final float E3 = 5.550733745e-02f;
    private static final float E4 = 9.671512812e-03f;
    private static final float E5 = 1.326472721e-03f;

    /**
     * 2^x lane-wise for x <= 0 (x < -125, -inf included, gives exactly 0); relative error <= 2e-7.
     * x = n + f with n = round(x) by the MAGIC addition (no float/int conversion: those are not
     * intrinsified on JDK 17), 2^f by an Estrin-evaluated polynomial (short dependency chains), and n
     * added into the exponent bits.
     */
    static FloatVector exp2(FloatVector x) {
        final FloatVector t = x.add(MAGIC);
        final FloatVector f = x.sub(t.sub(MAGIC));
        final FloatVector f2 = f.mul(f);
        final FloatVector a = f.fma(E1, 1f);
        final FloatVector b = f.fma(E3, E2);
        final FloatVector c = f.fma(E5, E4);
        final FloatVector p = f2.fma(f2.fma(c, b), a);
        final FloatVector r = p.reinterpretAsInts().add(t.reinterpretAsInts().lanewise(VectorOperators.LSHL, 23))
                .reinterpretAsFloats();
        return r.blend(0f, x.lt(-125f));
    }

    // ---- micro-kernels: every FloatVector is a local --------------------------------------------

    /** Scores of a packed 4-row tile (qp[qo + c * 4 + i]) against one panel: sc[so + i * SUB + w]. */
    static void scores4(float[] qp, int qo, int d, float[] kp, int ko, float[] sc, int so) {
        FloatVector a00 = FloatVector.zero(S), a01 = FloatVector.zero(S);
        FloatVector a10 = FloatVector.zero(S), a11 = FloatVector.zero(S);
        FloatVector a20 = FloatVector.zero(S), a21 = FloatVector.zero(S);
        FloatVector a30 = FloatVector.zero(S), a31 = FloatVector.zero(S);
        for (int c = 0; c < d; c++) {
            final int k = ko + c * W;
            final int qi = qo + c * 4;
            final FloatVector k0 = FloatVector.fromArray(S, kp, k);
            final FloatVector k1 = FloatVector.fromArray(S, kp, k + L);
            FloatVector b = FloatVector.broadcast(S, qp[qi]);
            a00 = k0.fma(b, a00);
            a01 = k1.fma(b, a01);
            b = FloatVector.broadcast(S, qp[qi + 1]);
            a10 = k0.fma(b, a10);
            a11 = k1.fma(b, a11);
            b = FloatVector.broadcast(S, qp[qi + 2]);
            a20 = k0.fma(b, a20);
            a21 = k1.fma(b, a21);
            b = FloatVector.broadcast(S, qp[qi + 3]);
            a30 = k0.fma(b, a30);
            a31 = k1.fma(b, a31);
        }
        a00.intoArray(sc, so);
        a01.intoArray(sc, so + L);
        a10.intoArray(sc, so + SUB);
        a11.intoArray(sc, so + SUB + L);
        a20.intoArray(sc, so + 2 * SUB);
        a21.intoArray(sc, so + 2 * SUB + L);
        a30.intoArray(sc, so + 3 * SUB);
        a31.intoArray(sc, so + 3 * SUB + L);
    }

    /** Scores of a packed 8-row tile (qp[qo + c * 8 + i]) against one panel: sc[so + i * SUB + w]. */
    static void scores8(float[] qp, int qo, int d, float[] kp, int ko, float[] sc, int so) {
        FloatVector a00 = FloatVector.zero(S), a01 = FloatVector.zero(S);
        FloatVector a10 = FloatVector.zero(S), a11 = FloatVector.zero(S);
        FloatVector a20 = FloatVector.zero(S), a21 = FloatVector.zero(S);
        FloatVector a30 = FloatVector.zero(S), a31 = FloatVector.zero(S);
        FloatVector a40 = FloatVector.zero(S), a41 = FloatVector.zero(S);
        FloatVector a50 = FloatVector.zero(S), a51 = FloatVector.zero(S);
        FloatVector a60 = FloatVector.zero(S), a61 = FloatVector.zero(S);
        FloatVector a70 = FloatVector.zero(S), a71 = FloatVector.zero(S);
        for (int c = 0; c < d; c++) {
            final int k = ko + c * W;
            final int qi = qo + c * 8;
            final FloatVector k0 = FloatVector.fromArray(S, kp, k);
            final FloatVector k1 = FloatVector.fromArray(S, kp, k + L);
            FloatVector b = FloatVector.broadcast(S, qp[qi]);
            a00 = k0.fma(b, a00);
            a01 = k1.fma(b, a01);
            b = FloatVector.broadcast(S, qp[qi + 1]);
            a10 = k0.fma(b, a10);
            a11 = k1.fma(b, a11);
            b = FloatVector.broadcast(S, qp[qi + 2]);
            a20 = k0.fma(b, a20);
            a21 = k1.fma(b, a21);
            b = FloatVector.broadcast(S, qp[qi + 3]);
            a30 = k0.fma(b, a30);
            a31 = k1.fma(b, a31);
            b = FloatVector.broadcast(S, qp[qi + 4]);
            a40 = k0.fma(b, a40);
            a41 = k1.fma(b, a41);
            b = FloatVector.broadcast(S, qp[qi + 5]);
            a50 = k0.fma(b, a50);
            a51 = k1.fma(b, a51);
            b = FloatVector.broadcast(S, qp[qi + 6]);
            a60 = k0.fma(b, a60);
            a61 = k1.fma(b, a61);
            b = FloatVector.broadcast(S, qp[qi + 7]);
            a70 = k0.fma(b, a70);
            a71 = k1.fma(b, a71);
        }
        a00.intoArray(sc, so);
        a01.intoArray(sc, so + L);
        a10.intoArray(sc, so + SUB);
        a11.intoArray(sc, so + SUB + L);
        a20.intoArray(sc, so + 2 * SUB);
        a21.intoArray(sc, so + 2 * SUB + L);
        a30.intoArray(sc, so + 3 * SUB);
        a31.intoArray(sc, so + 3 * SUB + L);
        a40.intoArray(sc, so + 4 * SUB);
        a41.intoArray(sc, so + 4 * SUB + L);
        a50.intoArray(sc, so + 5 * SUB);
        a51.intoArray(sc, so + 5 * SUB + L);
        a60.intoArray(sc, so + 6 * SUB);
        a61.intoArray(sc, so + 6 * SUB + L);
        a70.intoArray(sc, so + 7 * SUB);
        a71.intoArray(sc, so + 7 * SUB + L);
    }

    /** pv4x2 for 8 rows (a0 + i * dv), alpha[i] per row. */
    static void pv8x2(float[] acc, int a0, int dv, float[] vp, int vo, float[] p, int p0,
                      int j0, int j1, float[] alpha, boolean rescale) {
        final int a1 = a0 + dv, a2 = a1 + dv, a3 = a2 + dv, a4 = a3 + dv, a5 = a4 + dv, a6 = a5 + dv, a7 = a6 + dv;
        FloatVector o00 = FloatVector.fromArray(S, acc, a0), o01 = FloatVector.fromArray(S, acc, a0 + L);
        FloatVector o10 = FloatVector.fromArray(S, acc, a1), o11 = FloatVector.fromArray(S, acc, a1 + L);
        FloatVector o20 = FloatVector.fromArray(S, acc, a2), o21 = FloatVector.fromArray(S, acc, a2 + L);
        FloatVector o30 = FloatVector.fromArray(S, acc, a3), o31 = FloatVector.fromArray(S, acc, a3 + L);
        FloatVector o40 = FloatVector.fromArray(S, acc, a4), o41 = FloatVector.fromArray(S, acc, a4 + L);
        FloatVector o50 = FloatVector.fromArray(S, acc, a5), o51 = FloatVector.fromArray(S, acc, a5 + L);
        FloatVector o60 = FloatVector.fromArray(S, acc, a6), o61 = FloatVector.fromArray(S, acc, a6 + L);
        FloatVector o70 = FloatVector.fromArray(S, acc, a7), o71 = FloatVector.fromArray(S, acc, a7 + L);
        if (rescale) {
            final float al0 = alpha[0], al1 = alpha[1], al2 = alpha[2], al3 = alpha[3];
            final float al4 = alpha[4], al5 = alpha[5], al6 = alpha[6], al7 = alpha[7];
            o00 = o00.mul(al0);
            o01 = o01.mul(al0);
            o10 = o10.mul(al1);
            o11 = o11.mul(al1);
            o20 = o20.mul(al2);
            o21 = o21.mul(al2);
            o30 = o30.mul(al3);
            o31 = o31.mul(al3);
            o40 = o40.mul(al4);
            o41 = o41.mul(al4);
            o50 = o50.mul(al5);
            o51 = o51.mul(al5);
            o60 = o60.mul(al6);
            o61 = o61.mul(al6);
            o70 = o70.mul(al7);
            o71 = o71.mul(al7);
        }
        for (int j = j0; j < j1; j++) {
            final int vi = vo + j * W;
            final int pi = p0 + j;
            final FloatVector v0 = FloatVector.fromArray(S, vp, vi);
            final FloatVector v1 = FloatVector.fromArray(S, vp, vi + L);
            FloatVector b = FloatVector.broadcast(S, p[pi]);
            o00 = v0.fma(b, o00);
            o01 = v1.fma(b, o01);
            b = FloatVector.broadcast(S, p[pi + SUB]);
            o10 = v0.fma(b, o10);
            o11 = v1.fma(b, o11);
            b = FloatVector.broadcast(S, p[pi + 2 * SUB]);
            o20 = v0.fma(b, o20);
            o21 = v1.fma(b, o21);
            b = FloatVector.broadcast(S, p[pi + 3 * SUB]);
            o30 = v0.fma(b, o30);
            o31 = v1.fma(b, o31);
            b = FloatVector.broadcast(S, p[pi + 4 * SUB]);
            o40 = v0.fma(b, o40);
            o41 = v1.fma(b, o41);
            b = FloatVector.broadcast(S, p[pi + 5 * SUB]);
            o50 = v0.fma(b, o50);
            o51 = v1.fma(b, o51);
            b = FloatVector.broadcast(S, p[pi + 6 * SUB]);
            o60 = v0.fma(b, o60);
            o61 = v1.fma(b, o61);
            b = FloatVector.broadcast(S, p[pi + 7 * SUB]);
            o70 = v0.fma(b, o70);
            o71 = v1.fma(b, o71);
        }
        o00.intoArray(acc, a0);
        o01.intoArray(acc, a0 + L);
        o10.intoArray(acc, a1);
        o11.intoArray(acc, a1 + L);
        o20.intoArray(acc, a2);
        o21.intoArray(acc, a2 + L);
        o30.intoArray(acc, a3);
        o31.intoArray(acc, a3 + L);
        o40.intoArray(acc, a4);
        o41.intoArray(acc, a4 + L);
        o50.intoArray(acc, a5);
        o51.intoArray(acc, a5 + L);
        o60.intoArray(acc, a6);
        o61.intoArray(acc, a6 + L);
        o70.intoArray(acc, a7);
        o71.intoArray(acc, a7 + L);
    }

    /** Scores of a packed 6-row tile (qp[qo + c * QS + i]) against one 4-vector panel (W = 4L): sc[so + i * SUB + w]. */
    static void scores6x4(float[] qp, int qo, int d, float[] kp, int ko, float[] sc, int so) {
        FloatVector a00 = FloatVector.zero(S), a01 = FloatVector.zero(S), a02 = FloatVector.zero(S), a03 = FloatVector.zero(S);
        FloatVector a10 = FloatVector.zero(S), a11 = FloatVector.zero(S), a12 = FloatVector.zero(S), a13 = FloatVector.zero(S);
        FloatVector a20 = FloatVector.zero(S), a21 = FloatVector.zero(S), a22 = FloatVector.zero(S), a23 = FloatVector.zero(S);
        FloatVector a30 = FloatVector.zero(S), a31 = FloatVector.zero(S), a32 = FloatVector.zero(S), a33 = FloatVector.zero(S);
        FloatVector a40 = FloatVector.zero(S), a41 = FloatVector.zero(S), a42 = FloatVector.zero(S), a43 = FloatVector.zero(S);
        FloatVector a50 = FloatVector.zero(S), a51 = FloatVector.zero(S), a52 = FloatVector.zero(S), a53 = FloatVector.zero(S);
        for (int c = 0; c < d; c++) {
            final int k = ko + c * W;
            final int qi = qo + c * QS;
            final FloatVector k0 = FloatVector.fromArray(S, kp, k + 0 * L);
            final FloatVector k1 = FloatVector.fromArray(S, kp, k + 1 * L);
            final FloatVector k2 = FloatVector.fromArray(S, kp, k + 2 * L);
            final FloatVector k3 = FloatVector.fromArray(S, kp, k + 3 * L);
            FloatVector b = FloatVector.broadcast(S, qp[qi + 0]);
            a00 = k0.fma(b, a00);
            a01 = k1.fma(b, a01);
            a02 = k2.fma(b, a02);
            a03 = k3.fma(b, a03);
            b = FloatVector.broadcast(S, qp[qi + 1]);
            a10 = k0.fma(b, a10);
            a11 = k1.fma(b, a11);
            a12 = k2.fma(b, a12);
            a13 = k3.fma(b, a13);
            b = FloatVector.broadcast(S, qp[qi + 2]);
            a20 = k0.fma(b, a20);
            a21 = k1.fma(b, a21);
            a22 = k2.fma(b, a22);
            a23 = k3.fma(b, a23);
            b = FloatVector.broadcast(S, qp[qi + 3]);
            a30 = k0.fma(b, a30);
            a31 = k1.fma(b, a31);
            a32 = k2.fma(b, a32);
            a33 = k3.fma(b, a33);
            b = FloatVector.broadcast(S, qp[qi + 4]);
            a40 = k0.fma(b, a40);
            a41 = k1.fma(b, a41);
            a42 = k2.fma(b, a42);
            a43 = k3.fma(b, a43);
            b = FloatVector.broadcast(S, qp[qi + 5]);
            a50 = k0.fma(b, a50);
            a51 = k1.fma(b, a51);
            a52 = k2.fma(b, a52);
            a53 = k3.fma(b, a53);
        }
        a00.intoArray(sc, so + 0 * SUB + 0 * L);
        a01.intoArray(sc, so + 0 * SUB + 1 * L);
        a02.intoArray(sc, so + 0 * SUB + 2 * L);
        a03.intoArray(sc, so + 0 * SUB + 3 * L);
        a10.intoArray(sc, so + 1 * SUB + 0 * L);
        a11.intoArray(sc, so + 1 * SUB + 1 * L);
        a12.intoArray(sc, so + 1 * SUB + 2 * L);
        a13.intoArray(sc, so + 1 * SUB + 3 * L);
        a20.intoArray(sc, so + 2 * SUB + 0 * L);
        a21.intoArray(sc, so + 2 * SUB + 1 * L);
        a22.intoArray(sc, so + 2 * SUB + 2 * L);
        a23.intoArray(sc, so + 2 * SUB + 3 * L);
        a30.intoArray(sc, so + 3 * SUB + 0 * L);
        a31.intoArray(sc, so + 3 * SUB + 1 * L);
        a32.intoArray(sc, so + 3 * SUB + 2 * L);
        a33.intoArray(sc, so + 3 * SUB + 3 * L);
        a40.intoArray(sc, so + 4 * SUB + 0 * L);
        a41.intoArray(sc, so + 4 * SUB + 1 * L);
        a42.intoArray(sc, so + 4 * SUB + 2 * L);
        a43.intoArray(sc, so + 4 * SUB + 3 * L);
        a50.intoArray(sc, so + 5 * SUB + 0 * L);
        a51.intoArray(sc, so + 5 * SUB + 1 * L);
        a52.intoArray(sc, so + 5 * SUB + 2 * L);
        a53.intoArray(sc, so + 5 * SUB + 3 * L);
    }

    /** 6 rows (a0 + i * dv) x 4 packed vectors (W = 4L) of columns, alpha[i] per row. */
    static void pv6x4(float[] acc, int a0, int dv, float[] vp, int vo, float[] p, int p0,
                      int j0, int j1, float[] alpha, boolean rescale) {
        final int a1 = a0 + 1 * dv, a2 = a0 + 2 * dv, a3 = a0 + 3 * dv, a4 = a0 + 4 * dv, a5 = a0 + 5 * dv;
        FloatVector o00 = FloatVector.fromArray(S, acc, a0 + 0 * L), o01 = FloatVector.fromArray(S, acc, a0 + 1 * L), o02 = FloatVector.fromArray(S, acc, a0 + 2 * L), o03 = FloatVector.fromArray(S, acc, a0 + 3 * L);
        FloatVector o10 = FloatVector.fromArray(S, acc, a1 + 0 * L), o11 = FloatVector.fromArray(S, acc, a1 + 1 * L), o12 = FloatVector.fromArray(S, acc, a1 + 2 * L), o13 = FloatVector.fromArray(S, acc, a1 + 3 * L);
        FloatVector o20 = FloatVector.fromArray(S, acc, a2 + 0 * L), o21 = FloatVector.fromArray(S, acc, a2 + 1 * L), o22 = FloatVector.fromArray(S, acc, a2 + 2 * L), o23 = FloatVector.fromArray(S, acc, a2 + 3 * L);
        FloatVector o30 = FloatVector.fromArray(S, acc, a3 + 0 * L), o31 = FloatVector.fromArray(S, acc, a3 + 1 * L), o32 = FloatVector.fromArray(S, acc, a3 + 2 * L), o33 = FloatVector.fromArray(S, acc, a3 + 3 * L);
        FloatVector o40 = FloatVector.fromArray(S, acc, a4 + 0 * L), o41 = FloatVector.fromArray(S, acc, a4 + 1 * L), o42 = FloatVector.fromArray(S, acc, a4 + 2 * L), o43 = FloatVector.fromArray(S, acc, a4 + 3 * L);
        FloatVector o50 = FloatVector.fromArray(S, acc, a5 + 0 * L), o51 = FloatVector.fromArray(S, acc, a5 + 1 * L), o52 = FloatVector.fromArray(S, acc, a5 + 2 * L), o53 = FloatVector.fromArray(S, acc, a5 + 3 * L);
        if (rescale) {
            final float al0 = alpha[0];
            o00 = o00.mul(al0);
            o01 = o01.mul(al0);
            o02 = o02.mul(al0);
            o03 = o03.mul(al0);
            final float al1 = alpha[1];
            o10 = o10.mul(al1);
            o11 = o11.mul(al1);
            o12 = o12.mul(al1);
            o13 = o13.mul(al1);
            final float al2 = alpha[2];
            o20 = o20.mul(al2);
            o21 = o21.mul(al2);
            o22 = o22.mul(al2);
            o23 = o23.mul(al2);
            final float al3 = alpha[3];
            o30 = o30.mul(al3);
            o31 = o31.mul(al3);
            o32 = o32.mul(al3);
            o33 = o33.mul(al3);
            final float al4 = alpha[4];
            o40 = o40.mul(al4);
            o41 = o41.mul(al4);
            o42 = o42.mul(al4);
            o43 = o43.mul(al4);
            final float al5 = alpha[5];
            o50 = o50.mul(al5);
            o51 = o51.mul(al5);
            o52 = o52.mul(al5);
            o53 = o53.mul(al5);
        }
        for (int j = j0; j < j1; j++) {
            final int vi = vo + j * W;
            final int pi = p0 + j;
            final FloatVector v0 = FloatVector.fromArray(S, vp, vi + 0 * L);
            final FloatVector v1 = FloatVector.fromArray(S, vp, vi + 1 * L);
            final FloatVector v2 = FloatVector.fromArray(S, vp, vi + 2 * L);
            final FloatVector v3 = FloatVector.fromArray(S, vp, vi + 3 * L);
            FloatVector b = FloatVector.broadcast(S, p[pi + 0 * SUB]);
            o00 = v0.fma(b, o00);
            o01 = v1.fma(b, o01);
            o02 = v2.fma(b, o02);
            o03 = v3.fma(b, o03);
            b = FloatVector.broadcast(S, p[pi + 1 * SUB]);
            o10 = v0.fma(b, o10);
            o11 = v1.fma(b, o11);
            o12 = v2.fma(b, o12);
            o13 = v3.fma(b, o13);
            b = FloatVector.broadcast(S, p[pi + 2 * SUB]);
            o20 = v0.fma(b, o20);
            o21 = v1.fma(b, o21);
            o22 = v2.fma(b, o22);
            o23 = v3.fma(b, o23);
            b = FloatVector.broadcast(S, p[pi + 3 * SUB]);
            o30 = v0.fma(b, o30);
            o31 = v1.fma(b, o31);
            o32 = v2.fma(b, o32);
            o33 = v3.fma(b, o33);
            b = FloatVector.broadcast(S, p[pi + 4 * SUB]);
            o40 = v0.fma(b, o40);
            o41 = v1.fma(b, o41);
            o42 = v2.fma(b, o42);
            o43 = v3.fma(b, o43);
            b = FloatVector.broadcast(S, p[pi + 5 * SUB]);
            o50 = v0.fma(b, o50);
            o51 = v1.fma(b, o51);
            o52 = v2.fma(b, o52);
            o53 = v3.fma(b, o53);
        }
        o00.intoArray(acc, a0 + 0 * L);
        o01.intoArray(acc, a0 + 1 * L);
        o02.intoArray(acc, a0 + 2 * L);
        o03.intoArray(acc, a0 + 3 * L);
        o10.intoArray(acc, a1 + 0 * L);
        o11.intoArray(acc, a1 + 1 * L);
        o12.intoArray(acc, a1 + 2 * L);
        o13.intoArray(acc, a1 + 3 * L);
        o20.intoArray(acc, a2 + 0 * L);
        o21.intoArray(acc, a2 + 1 * L);
        o22.intoArray(acc, a2 + 2 * L);
        o23.intoArray(acc, a2 + 3 * L);
        o30.intoArray(acc, a3 + 0 * L);
        o31.intoArray(acc, a3 + 1 * L);
        o32.intoArray(acc, a3 + 2 * L);
        o33.intoArray(acc, a3 + 3 * L);
        o40.intoArray(acc, a4 + 0 * L);
        o41.intoArray(acc, a4 + 1 * L);
        o42.intoArray(acc, a4 + 2 * L);
        o43.intoArray(acc, a4 + 3 * L);
        o50.intoArray(acc, a5 + 0 * L);
        o51.intoArray(acc, a5 + 1 * L);
        o52.intoArray(acc, a5 + 2 * L);
        o53.intoArray(acc, a5 + 3 * L);
    }

    /**
     * acc rows a0, a0+dv, a0+2dv, a0+3dv, W columns: acc = acc * alpha + sum_j p[i][j] v[j], v packed as
     * vp[vo + j * W + w], p[p0 + i * SUB + j].
     */
    static void pv4x2(float[] acc, int a0, int dv, float[] vp, int vo, float[] p, int p0,
                      int j0, int j1, float al0, float al1, float al2, float al3, boolean rescale) {
        final int a1 = a0 + dv, a2 = a1 + dv, a3 = a2 + dv;
        FloatVector o00 = FloatVector.fromArray(S, acc, a0), o01 = FloatVector.fromArray(S, acc, a0 + L);
        FloatVector o10 = FloatVector.fromArray(S, acc, a1), o11 = FloatVector.fromArray(S, acc, a1 + L);
        FloatVector o20 = FloatVector.fromArray(S, acc, a2), o21 = FloatVector.fromArray(S, acc, a2 + L);
        FloatVector o30 = FloatVector.fromArray(S, acc, a3), o31 = FloatVector.fromArray(S, acc, a3 + L);
        if (rescale) {
            o00 = o00.mul(al0);
            o01 = o01.mul(al0);
            o10 = o10.mul(al1);
            o11 = o11.mul(al1);
            o20 = o20.mul(al2);
            o21 = o21.mul(al2);
            o30 = o30.mul(al3);
            o31 = o31.mul(al3);
        }
        for (int j = j0; j < j1; j++) {
            final int vi = vo + j * W;
            final int pi = p0 + j;
            final FloatVector v0 = FloatVector.fromArray(S, vp, vi);
            final FloatVector v1 = FloatVector.fromArray(S, vp, vi + L);
            FloatVector b = FloatVector.broadcast(S, p[pi]);
            o00 = v0.fma(b, o00);
            o01 = v1.fma(b, o01);
            b = FloatVector.broadcast(S, p[pi + SUB]);
            o10 = v0.fma(b, o10);
            o11 = v1.fma(b, o11);
            b = FloatVector.broadcast(S, p[pi + 2 * SUB]);
            o20 = v0.fma(b, o20);
            o21 = v1.fma(b, o21);
            b = FloatVector.broadcast(S, p[pi + 3 * SUB]);
            o30 = v0.fma(b, o30);
            o31 = v1.fma(b, o31);
        }
        o00.intoArray(acc, a0);
        o01.intoArray(acc, a0 + L);
        o10.intoArray(acc, a1);
        o11.intoArray(acc, a1 + L);
        o20.intoArray(acc, a2);
        o21.intoArray(acc, a2 + L);
        o30.intoArray(acc, a3);
        o31.intoArray(acc, a3 + L);
    }

    /** One vector of columns of 4 rows, v unpacked ([j][dv]). */
    private static void pv4x1(float[] acc, int a0, int dv, float[] v, int vc, float[] p, int p0,
                              int j0, int j1, float al0, float al1, float al2, float al3, boolean rescale) {
        final int a1 = a0 + dv, a2 = a1 + dv, a3 = a2 + dv;
        FloatVector o0 = FloatVector.fromArray(S, acc, a0);
        FloatVector o1 = FloatVector.fromArray(S, acc, a1);
        FloatVector o2 = FloatVector.fromArray(S, acc, a2);
        FloatVector o3 = FloatVector.fromArray(S, acc, a3);
        if (rescale) {
            o0 = o0.mul(al0);
            o1 = o1.mul(al1);
            o2 = o2.mul(al2);
            o3 = o3.mul(al3);
        }
        for (int j = j0; j < j1; j++) {
            final FloatVector v0 = FloatVector.fromArray(S, v, j * dv + vc);
            final int pi = p0 + j;
            o0 = v0.fma(FloatVector.broadcast(S, p[pi]), o0);
            o1 = v0.fma(FloatVector.broadcast(S, p[pi + SUB]), o1);
            o2 = v0.fma(FloatVector.broadcast(S, p[pi + 2 * SUB]), o2);
            o3 = v0.fma(FloatVector.broadcast(S, p[pi + 3 * SUB]), o3);
        }
        o0.intoArray(acc, a0);
        o1.intoArray(acc, a1);
        o2.intoArray(acc, a2);
        o3.intoArray(acc, a3);
    }

    /** One row, one vector of columns. */
    private static void pv1x1(float[] acc, int a0, int dv, float[] v, int vc, float[] p, int p0,
                              int j0, int j1, float al, boolean rescale) {
        FloatVector o0 = FloatVector.fromArray(S, acc, a0);
        if (rescale) o0 = o0.mul(al);
        for (int j = j0; j < j1; j++) {
            o0 = FloatVector.fromArray(S, v, j * dv + vc).fma(FloatVector.broadcast(S, p[p0 + j]), o0);
        }
        o0.intoArray(acc, a0);
    }

    /** Columns [c0, c1) of one row (the tail narrower than a vector), scalar. */
    private static void pvScalar(float[] acc, int ai, int dv, float[] v, int c0, int c1, float[] p, int p0,
                                 int j0, int j1, float al) {
        for (int c = c0; c < c1; c++) {
            float o = acc[ai + c] * al;
            for (int j = j0; j < j1; j++) o += p[p0 + j] * v[j * dv + c];
            acc[ai + c] = o;
        }
    }
}
