package io.longattn.kernels.simd;

import io.longattn.kernels.AttentionKernel;
import io.longattn.kernels.AttentionSpec;
import io.longattn.kernels.KvBlock;
import io.longattn.kernels.QueryChunk;
import io.longattn.kernels.SoftmaxState;

import java.util.concurrent.atomic.AtomicInteger;

import static io.longattn.kernels.simd.VectorShape.L;
import static io.longattn.kernels.simd.VectorShape.S;
import static io.longattn.kernels.simd.VectorShape.SUB;

/**
 * jdk.incubator.vector kernel, register-blocked as FlashAttention-2 on a CPU.
 *
 * <p>Per kv block: K and V are packed once into panels shared by every query row of the chunk
 * ({@link KvPanels}); each thread packs its rows' queries and walks the block in sub-blocks of
 * {@link VectorShape#SUB} keys (a sub-block's packed K and V stay in L2 while every row tile of a work
 * item passes over them), scoring, softmaxing and updating each tile of R query rows
 * ({@link RowTiles}) with the micro-kernels of the tile ({@link Tile4x2} for 16 vector registers,
 * {@link Tile6x4} for 32). Vectors live only in local variables of the micro-kernels: a FloatVector
 * kept in a field or array boxes and runs ~10x slower. The hot loops allocate nothing.
 *
 * <p>Threads: with {@code threads > 1} the kernel owns {@code threads - 1} workers ({@link WorkerTeam});
 * each call splits the K/V packing by panels between the caller and the workers, meets at a spin
 * barrier, then hands out row tiles guided from an atomic counter (items of 8 tiles while much is left,
 * down to one at the end). The first thread through the barrier runs the call's {@code alongside}
 * task, which {@link io.longattn.kernels.UnitRunner} uses to load the next kv block into a second
 * buffer: no serial load leaves the other threads waiting between blocks. Tiles always start at
 * multiples of R from row 0 and each row sees the sub-blocks in the same order, so the result's bits
 * do not depend on the thread count. Close the kernel to stop the workers.
 *
 * <p>Measurements behind these choices: docs/simd-kernel-notes.md.
 */
public final class SimdKernel implements AttentionKernel {
    private final SimdTile tile;
    private final int threads;
    /** Query rows per tile. */
    private final int rowsPerTile;
    /**
     * Rows per work item, at most: 8 tiles. Each item walks the whole kv block, sub-block by sub-block,
     * so a sub-block's packed K and V are reused from L2 by the item's tiles; with threads, items go to
     * threads dynamically and shrink towards the end of a call.
     */
    private final int groupRows;
    private final KvPanels panels;
    private final RowTiles[] parts;
    private final WorkerTeam team;

    // The call being run by the team; published by the team's epoch.
    private QueryChunk curQ;
    private KvBlock curKv;
    private SoftmaxState curState;
    private Runnable curAlongside;
    private boolean closedSingle;
    /** Next row tile of the call to hand out (threads take items as they finish: no straggler waits). */
    private final AtomicInteger nextTile = new AtomicInteger();
    /** 0 until a thread of the call has claimed the call's alongside task. */
    private final AtomicInteger alongsideTaken = new AtomicInteger();

    /** One thread, the machine's tile. */
    public SimdKernel(AttentionSpec spec) {
        this(spec, 1, SimdTile.AUTO);
    }

    /**
     * A kernel that splits every call between the calling thread and {@code threads - 1} workers it
     * owns, with register tile {@code tile} (AUTO: the machine's).
     */
    public SimdKernel(AttentionSpec spec, int threads, SimdTile tile) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads " + threads + " is invalid, expected >= 1");
        }
        this.tile = tile.resolve(JvmFacts.current().registers32());
        this.threads = threads;
        this.rowsPerTile = this.tile.rows();
        this.groupRows = 8 * rowsPerTile;
        this.panels = new KvPanels(this.tile.vectors() * L, spec.d(), spec.dv());
        this.parts = new RowTiles[threads];
        for (int t = 0; t < threads; t++) parts[t] = new RowTiles(spec, this.tile, panels);
        this.team = threads > 1 ? new WorkerTeam(threads, "longattn-simd", this::runPart) : null;
    }

    /** The register tile in use (never AUTO). */
    public SimdTile tile() {
        return tile;
    }

    /** Lanes, tile and sub-block of a kernel with this tile on this JVM, for logs and reasons. */
    static String describe(SimdTile tile) {
        return L + " float lanes (" + S.vectorBitSize() + "-bit" + (JvmFacts.current().registers32() ? ", 32 registers" : "")
                + "), " + tile.rows() + "x" + tile.vectors() * L + " tiles, " + SUB + "-key sub-blocks, exp2 polynomial";
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
        panels.ensure(kv);
        if (team == null ? closedSingle : team.closed()) throw new IllegalStateException("kernel is closed");
        final int rows = q.rows();
        if (threads == 1 || rows <= groupRows) {
            panels.pack(kv, 0, (n + panels.w - 1) / panels.w);
            for (int r = 0; r < rows; r += groupRows) {
                parts[0].compute(q, kv, state, r, Math.min(rows, r + groupRows));
            }
            if (alongside != null) alongside.run();
            return;
        }
        curQ = q;
        curKv = kv;
        curState = state;
        curAlongside = alongside;
        nextTile.set(0);
        alongsideTaken.set(alongside == null ? 1 : 0);
        team.runCall();
    }

    /** One thread's share of a call: a slice of the K/V panels, the barrier, then row groups as they come. */
    private void runPart(int t, long call) {
        QueryChunk q = curQ;
        KvBlock kv = curKv;
        int n = kv.length();
        int panelCount = (n + panels.w - 1) / panels.w;
        try {
            panels.pack(kv, panelCount * t / threads, panelCount * (t + 1) / threads);
        } finally {
            team.arrive(); // the barrier must open even when a part fails
        }
        team.awaitArrivals(call);
        if (alongsideTaken.getAndIncrement() == 0) curAlongside.run(); // the first thread through takes it
        SoftmaxState state = curState;
        RowTiles part = parts[t];
        final int R = rowsPerTile;
        // guided self-scheduling of row tiles: items of up to groupRows / R tiles while much is left (a
        // sub-block's packed K and V are reused from L2 by an item's tiles), shrinking to single tiles at
        // the end so no thread waits long for the last one
        final int rows = q.rows(), tiles = (rows + R - 1) / R, maxItem = groupRows / R, div = 2 * threads;
        while (true) {
            int t0 = nextTile.get();
            if (t0 >= tiles) break;
            int t1 = Math.min(tiles, t0 + Math.max(1, Math.min(maxItem, (tiles - t0) / div)));
            if (nextTile.compareAndSet(t0, t1)) part.compute(q, kv, state, t0 * R, Math.min(rows, t1 * R));
        }
    }

    /** Whether any worker thread of this kernel is still alive (for tests). */
    boolean workersAlive() {
        return team != null && team.workersAlive();
    }

    @Override
    public void close() {
        if (team != null) team.close();
        closedSingle = true;
    }
}
