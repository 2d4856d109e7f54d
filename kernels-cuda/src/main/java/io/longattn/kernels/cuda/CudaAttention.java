package io.longattn.kernels.cuda;

import io.longattn.kernels.AttentionSpec;
import io.longattn.kernels.KvBlock;
import io.longattn.kernels.KvSource;
import io.longattn.kernels.MaskGeometry;
import io.longattn.kernels.Precision;
import io.longattn.kernels.QueryChunk;
import io.longattn.kernels.SoftmaxState;
import io.longattn.kernels.UnitSummary;
import jcuda.Pointer;
import jcuda.driver.CUevent;
import jcuda.driver.CUevent_flags;
import jcuda.driver.CUfunction;
import jcuda.driver.CUstream;
import jcuda.driver.CUstream_flags;
import jcuda.driver.JCudaDriver;

/**
 * The host side of attention.cu for one spec on one GPU: a whole unit (a query chunk of one kv group
 * against a key range) is one launch over all its query tiles, against K/V resident on the GPU; only the
 * chunk's queries go in and its O and LSE (or its summary, for split-KV) come out. Decode-like shapes,
 * whose query tiles cannot fill the GPU, also split the keys inside the launch and merge the splits in a
 * fixed order. One instance per task thread (its own stream and buffers); the GPU context, module and
 * resident K/V are shared per executor.
 *
 * <p>Precisions other than FP32 run the tensor-core kernels (attention_tc.cuh) on K and V packed into the
 * operand type (tf32-rounded float32, float16 or bfloat16), zero-padded to 64 or 128 columns: once per
 * executor, kv group and precision where K/V are resident ({@link ResidentKv}), else per streamed key chunk;
 * the queries are rounded inside the kernel. Packing is a pure per-element conversion, so the bits do not
 * depend on the unit or on which of the two paths packed them.
 *
 * <p>CUDA events around each unit's launches time the GPU's own work ({@link #deviceSeconds()}): what the
 * job reports as kernel seconds, apart from the copies and host work around them.
 */
public final class CudaAttention implements AutoCloseable {
    static final int THREADS = 128;
    /** The largest key tile of any instantiation; key splits are multiples of it, hence of every tile. */
    static final int TILE_KEYS = 64;
    static final int PAD = 4;
    /**
     * Blocks a launch aims for when deciding key splits: about two per SM of an H100/H200. A constant of
     * the spec, not of the GPU, so the output bits are the same on every GPU model.
     */
    static final int TARGET_BLOCKS = 256;
    /** Keys per chunk when K/V of a group does not fit the GPU and streams through it. */
    static final int STREAM_KEYS = 1 << 16;
    static final int IN_STATE = 1, OUT_STATE = 2, OUT_FINAL = 4;

    private final CudaDevice dev;
    private final AttentionSpec spec;
    private final MaskGeometry mask;
    private final int dp, dvp, tileRows, sharedBytes, blockThreads;
    private final String forwardName;
    /** Keys per in-launch split (a multiple of TILE_KEYS), or 0 when the query tiles fill the GPU. */
    private final int splitKeys;
    private final CUstream stream = new CUstream();
    /** Recorded before and after a unit's launches; read at the next synchronization. */
    private final CUevent launchesStart = new CUevent(), launchesEnd = new CUevent();
    /** Whether an event pair was recorded and not yet added to deviceSeconds. */
    private boolean timing;
    private double deviceSeconds;
    private final DeviceBuffer q = new DeviceBuffer("query chunk");
    private final DeviceBuffer o = new DeviceBuffer("output chunk");
    private final DeviceBuffer lse = new DeviceBuffer("LSE chunk");
    private final DeviceBuffer stM = new DeviceBuffer("summary max");
    private final DeviceBuffer stL = new DeviceBuffer("summary sum");
    private final DeviceBuffer stAcc = new DeviceBuffer("summary accumulators");
    private final DeviceBuffer partM = new DeviceBuffer("split summaries (max)");
    private final DeviceBuffer partL = new DeviceBuffer("split summaries (sum)");
    private final DeviceBuffer partAcc = new DeviceBuffer("split summaries (accumulators)");
    private final DeviceBuffer kChunk = new DeviceBuffer("K chunk");
    private final DeviceBuffer vChunk = new DeviceBuffer("V chunk");
    private final DeviceBuffer kPacked = new DeviceBuffer("K packed for tensor cores");
    private final DeviceBuffer vPacked = new DeviceBuffer("V packed for tensor cores");
    /** The tensor-core kernels' column width (64 or 128), or 0 for the exact kernel. */
    private final int tcWidth;
    /** Whether the bench's whole-problem K/V sit packed in kPacked and vPacked. */
    private boolean wholePacked;
    private KvBlock staging;
    private boolean closed;
    /** Keys per streamed chunk; > 0 and forced: K/V always stream (tests of that path), else only when they do not fit. */
    private final int streamKeys;
    private final boolean alwaysStream;

    public CudaAttention(AttentionSpec spec, int deviceOrdinal) {
        this(spec, deviceOrdinal, STREAM_KEYS, false, true);
    }

    /**
     * An instance that runs the mma.sync tensor-core kernels even on a Hopper GPU, where fp16 and bf16 would
     * run the wgmma kernels: for tests that hold the two against each other, and the benchmark's comparison.
     */
    public static CudaAttention withoutWgmma(AttentionSpec spec, int deviceOrdinal) {
        return new CudaAttention(spec, deviceOrdinal, STREAM_KEYS, false, false);
    }

    /**
     * An instance that always streams K/V through the GPU in chunks of {@code keysPerChunk} keys (a
     * multiple of 64 keeps every key tile inside one chunk, so the bits equal the resident path's), as it
     * does on its own when K/V do not fit: the path tests cannot reach otherwise.
     */
    public static CudaAttention streaming(AttentionSpec spec, int deviceOrdinal, int keysPerChunk) {
        if (keysPerChunk <= 0 || keysPerChunk % TILE_KEYS != 0) {
            throw new IllegalArgumentException("keys per chunk " + keysPerChunk + ", expected a positive multiple of " + TILE_KEYS);
        }
        return new CudaAttention(spec, deviceOrdinal, keysPerChunk, true, true);
    }

    private CudaAttention(AttentionSpec spec, int deviceOrdinal, int streamKeys, boolean alwaysStream, boolean wgmmaAllowed) {
        this.streamKeys = streamKeys;
        this.alwaysStream = alwaysStream;
        String unsupported = unsupported(spec);
        if (unsupported != null) throw new IllegalArgumentException(unsupported);
        this.spec = spec;
        this.mask = spec.mask();
        this.dp = padded(spec.d());
        this.dvp = padded(spec.dv());
        this.tcWidth = tcWidth(spec);
        this.tileRows = tileRows(spec);
        this.splitKeys = splitKeys(spec);
        this.dev = CudaDevice.get(deviceOrdinal);
        // 16-bit operands on a Hopper run the wgmma kernels (attention_wg.cuh): the same rows per block, so the
        // same key splits, and the same launch parameters; their own block size and shared memory
        boolean wgmma = wgmmaAllowed && tcWidth > 0 && tcElementBytes(spec.precision()) == 2 && dev.hopper();
        this.blockThreads = wgmma ? wgThreads(tcWidth) : THREADS;
        this.sharedBytes = wgmma ? wgSharedBytes(tcWidth) : tcWidth > 0 ? tcSharedBytes(spec.precision(), tcWidth) : sharedBytes(dp, dvp);
        this.forwardName = wgmma ? "longattn_wg_" + spec.precision().id() + "_" + tcWidth
                : tcWidth > 0 ? "longattn_tc_" + spec.precision().id() + "_" + tcWidth : "longattn_fwd_" + dp + "_" + dvp;
        dev.bind();
        dev.function(forwardName, sharedBytes);
        Cuda.check(JCudaDriver.cuStreamCreate(stream, CUstream_flags.CU_STREAM_DEFAULT), "cuStreamCreate");
        Cuda.check(JCudaDriver.cuEventCreate(launchesStart, CUevent_flags.CU_EVENT_DEFAULT), "cuEventCreate");
        Cuda.check(JCudaDriver.cuEventCreate(launchesEnd, CUevent_flags.CU_EVENT_DEFAULT), "cuEventCreate");
    }

    /** Why the kernel cannot run this spec, or null. */
    public static String unsupported(AttentionSpec spec) {
        if (spec.precision() != Precision.FP32 && Math.max(spec.d(), spec.dv()) > TC_MAX_DIM) {
            return "--precision " + spec.precision().id() + " runs on tensor-core kernels for head_dim up to " + TC_MAX_DIM
                    + ", this spec has D=" + spec.d() + " Dv=" + spec.dv() + " (--precision fp32 takes up to 256)";
        }
        if (spec.d() > 256) return "head_dim " + spec.d() + " is above the CUDA kernel's 256";
        if (spec.dv() > 256) return "value head_dim " + spec.dv() + " is above the CUDA kernel's 256";
        return null;
    }

    /** D or Dv rounded up to the kernel instantiation: 32, 64, 128 or 256. */
    static int padded(int d) {
        int p = 32;
        while (p < d) p *= 2;
        return p;
    }

    /**
     * Query rows per block (attention.cu's LONGATTN_TM x 16): 128 when D and Dv are at most 64, 64 up to
     * 128, 32 above (the accumulators must fit in registers).
     */
    static int tileRows(int dp, int dvp) {
        return 16 * (dp <= 64 && dvp <= 64 ? 8 : dp <= 128 && dvp <= 128 ? 4 : 2);
    }

    static final int TC_MAX_DIM = 128;

    /**
     * Columns of the tensor-core kernel for the spec (Q, K and V zero-padded to it): 64 or 128; 0 for FP32,
     * which runs the exact kernel.
     */
    static int tcWidth(AttentionSpec spec) {
        if (spec.precision() == Precision.FP32) return 0;
        return Math.max(spec.d(), spec.dv()) <= 64 ? 64 : 128;
    }

    /** Bytes of one element of the packed K/V: 4 for tf32, 2 for fp16 and bf16. */
    static int tcElementBytes(Precision p) {
        return p == Precision.TF32 ? 4 : 2;
    }

    /**
     * Query rows per block of the spec's kernel (attention_tc.cuh's 4 warps x LONGATTN_TC_WM x 16 for tensor cores;
     * the wgmma kernels' two warpgroups x 64 rows are the same 128 for 16-bit operands).
     */
    static int tileRows(AttentionSpec spec) {
        int w = tcWidth(spec);
        if (w == 0) return tileRows(padded(spec.d()), padded(spec.dv()));
        return 64 * (tcElementBytes(spec.precision()) == 2 ? 2 : 1);
    }

    /**
     * Dynamic shared memory of a tensor-core block (attention_tc.cuh): K and V tiles of 64 keys, two of each
     * (double buffers) for 16-bit at width 64; for 16-bit at width 128 one of each of 32 keys and the block's
     * 128 Q rows; every row padded by 16 bytes.
     */
    static int tcSharedBytes(Precision p, int width) {
        int row = width * tcElementBytes(p) + 16;
        boolean half = tcElementBytes(p) == 2;
        if (half && width == 64) return 4 * TILE_KEYS * row;
        if (half) return 2 * (TILE_KEYS / 2) * row + 128 * row;
        return 2 * TILE_KEYS * row;
    }

    /**
     * Dynamic shared memory of a wgmma block (attention_wg.cuh's LONGATTN_WG_SHARED): two stages of a K and a V
     * tile of 64 keys x width 16-bit elements (three stages and six 8-byte mbarriers at width 128), and 1 KB to
     * align them to the 128-byte swizzle's 1 KB period.
     */
    static int wgSharedBytes(int width) {
        return width == 128 ? 3 * 2 * TILE_KEYS * 128 * 2 + 1024 + 64 : 2 * 2 * TILE_KEYS * width * 2 + 1024;
    }

    /**
     * Threads of a wgmma block (attention_wg.cuh's LONGATTN_WG_THREADS): two warpgroups of 64 query rows each,
     * and at width 128 a third that copies K/V tiles for them.
     */
    static int wgThreads(int width) {
        return width == 128 ? 384 : 256;
    }

    /** The forward kernel this instance launches (a wgmma kernel for fp16 and bf16 on a Hopper). */
    public String kernelName() {
        return forwardName;
    }

    /** Keys per tile (attention.cu's LONGATTN_TN x 8): 64 when D and Dv are at most 64, else 32. */
    static int tileKeys(int dp, int dvp) {
        return 8 * (dp <= 64 && dvp <= 64 ? 8 : 4);
    }

    /** Dynamic shared memory of one block: row-major Q, K, V and P tiles (attention.cu's layout). */
    static int sharedBytes(int dp, int dvp) {
        int bq = tileRows(dp, dvp), bk = tileKeys(dp, dvp);
        return 4 * (bq * (dp + PAD) + bk * (dp + PAD) + bk * dvp + bq * (bk + PAD));
    }

    /**
     * Keys per in-launch split for the spec: none when the whole problem's query tiles already give
     * {@link #TARGET_BLOCKS} blocks; otherwise enough splits to get there, each at least 4 tiles of keys.
     */
    static int splitKeys(AttentionSpec spec) {
        int bq = tileRows(spec);
        long tiles = ((long) spec.sq() * spec.groupSize() + bq - 1) / bq * spec.hkv();
        if (tiles >= TARGET_BLOCKS) return 0;
        long splits = Math.min((TARGET_BLOCKS + tiles - 1) / tiles, (spec.sk() + 4L * TILE_KEYS - 1) / (4L * TILE_KEYS));
        if (splits <= 1) return 0;
        long keys = (spec.sk() + splits - 1) / splits;
        return (int) ((keys + TILE_KEYS - 1) / TILE_KEYS * TILE_KEYS);
    }

    /** Keys per in-launch split for this spec (0: none); public for tests and the benchmark's report. */
    public static int splitKeysOf(AttentionSpec spec) {
        return splitKeys(spec);
    }

    public CudaDevice device() {
        return dev;
    }

    /**
     * One unit: the loaded (scaled) query chunk of kv group {@code group} against keys [kvFrom, kvTo) of
     * source; writes O [rows][dv] at outOffset and, when lseOut is not null, LSE [rows] at lseOffset.
     */
    public void run(QueryChunk chunk, int group, KvSource source, int kvFrom, int kvTo,
                    float[] out, int outOffset, float[] lseOut, int lseOffset) {
        runUnit(chunk, group, source, kvFrom, kvTo).finish(chunk.rows(), out, outOffset, lseOut, lseOffset);
    }

    /**
     * One unit whose O, LSE and summary stay on the GPU: the returned summary downloads what its
     * caller reads (O and LSE to finish it; max, sum and accumulators for a split-KV merge). Valid until
     * the next call on this instance.
     */
    public UnitSummary runUnit(QueryChunk chunk, int group, KvSource source, int kvFrom, int kvTo) {
        unit(chunk, group, source, kvFrom, kvTo, OUT_FINAL | OUT_STATE);
        return new DeviceSummary(chunk.rows());
    }

    /** A unit's summary on the GPU ({@link #runUnit}). */
    private final class DeviceSummary implements UnitSummary {
        private final int rows;
        private float[] max, sum, acc;

        DeviceSummary(int rows) {
            this.rows = rows;
        }

        @Override
        public int rows() {
            return rows;
        }

        @Override
        public int dv() {
            return spec.dv();
        }

        private void fetch() {
            if (max != null) return;
            max = new float[rows];
            sum = new float[rows];
            acc = new float[Math.multiplyExact(rows, spec.dv())];
            stM.download(0, max, 0, rows);
            stL.download(0, sum, 0, rows);
            stAcc.download(0, acc, 0, acc.length);
        }

        @Override
        public float max(int r) {
            fetch();
            return max[r];
        }

        @Override
        public float sum(int r) {
            fetch();
            return sum[r];
        }

        @Override
        public float acc(int r, int c) {
            fetch();
            return acc[r * spec.dv() + c];
        }

        @Override
        public void finish(int rowCount, float[] out, int outOffset, float[] lseOut, int lseOffset) {
            o.download(0, out, outOffset, rowCount * spec.dv());
            if (lseOut != null) lse.download(0, lseOut, lseOffset, rowCount);
        }
    }

    /** One split-KV unit: the summary (max in log2 units, sum, accumulators) of keys [kvFrom, kvTo). */
    public void summarize(QueryChunk chunk, int group, KvSource source, int kvFrom, int kvTo, SoftmaxState into) {
        unit(chunk, group, source, kvFrom, kvTo, OUT_STATE);
        int rows = chunk.rows();
        stM.download(0, into.max, 0, rows);
        stL.download(0, into.sum, 0, rows);
        stAcc.download(0, into.acc, 0, rows * spec.dv());
    }

    /** Folds one kv block into a host summary (the block-at-a-time path; units are far faster). */
    public void accumulate(QueryChunk chunk, KvBlock kv, SoftmaxState state) {
        dev.bind();
        int rows = chunk.rows(), dv = spec.dv();
        q.reserve((long) rows * spec.d()).upload(chunk.data, 0, 0, rows * spec.d());
        kChunk.reserve((long) kv.capacity * spec.d()).upload(kv.k, 0, 0, kv.length() * spec.d());
        vChunk.reserve((long) kv.capacity * dv).upload(kv.v, 0, 0, kv.length() * dv);
        stM.reserve(rows).upload(state.max, 0, 0, rows);
        stL.reserve(rows).upload(state.sum, 0, 0, rows);
        stAcc.reserve((long) rows * dv).upload(state.acc, 0, 0, rows * dv);
        timeFrom();
        launch(q.ptr(), rows, chunk.q0(), kChunk.ptr(), vChunk.ptr(), kv.k0(), kv.k0(), kv.k0() + kv.length(), IN_STATE | OUT_STATE, false, false);
        timeTo();
        sync();
        stM.download(0, state.max, 0, rows);
        stL.download(0, state.sum, 0, rows);
        stAcc.download(0, state.acc, 0, rows * dv);
    }

    private void unit(QueryChunk chunk, int group, KvSource source, int kvFrom, int kvTo, int out) {
        dev.bind();
        int rows = chunk.rows(), dv = spec.dv();
        q.reserve((long) rows * spec.d()).upload(chunk.data, 0, 0, rows * spec.d());
        o.reserve((long) rows * dv);
        lse.reserve(rows);
        stM.reserve(rows);
        stL.reserve(rows);
        stAcc.reserve((long) rows * dv);
        int lo = Math.max(kvFrom, mask.unionLo(chunk.q0(), chunk.tokens()));
        int hi = Math.min(kvTo, mask.unionHi(chunk.q0(), chunk.tokens()));
        if (lo >= hi) { // no key visible: an empty summary (O = 0, LSE = -inf)
            timeFrom();
            launch(q.ptr(), rows, chunk.q0(), kChunk.reserve(1).ptr(), vChunk.reserve(1).ptr(), kvFrom, kvFrom, kvFrom, out, false, false);
            timeTo();
            sync();
            return;
        }
        ResidentKv kv = alwaysStream ? null : ResidentKv.acquire(dev, source, group, spec, this::packAndWait);
        if (kv != null) {
            try {
                timeFrom();
                launch(q.ptr(), rows, chunk.q0(), kv.k.ptr(), kv.v.ptr(), 0, kvFrom, kvTo, out, true, tcWidth > 0);
                timeTo();
                sync();
            } finally {
                kv.release();
            }
            return;
        }
        // K/V of the group does not fit: stream key chunks through the GPU, the summary staying there
        if (staging == null) staging = new KvBlock(streamKeys, spec.d(), dv);
        kChunk.reserve((long) streamKeys * spec.d());
        vChunk.reserve((long) streamKeys * dv);
        int first = lo / streamKeys * streamKeys;
        for (int k0 = first; k0 < hi; k0 += streamKeys) {
            int n = Math.min(streamKeys, spec.sk() - k0);
            source.load(group, k0, n, staging);
            sync(); // the previous chunk's launch has read kChunk
            kChunk.upload(staging.k, 0, 0, n * spec.d());
            vChunk.upload(staging.v, 0, 0, n * dv);
            int from = Math.max(k0, kvFrom), to = Math.min(k0 + n, kvTo);
            boolean lastChunk = k0 + streamKeys >= hi;
            int flags = (k0 == first ? 0 : IN_STATE) | (lastChunk ? out : OUT_STATE);
            timeFrom(); // per chunk: the reads and copies between chunks are not GPU work
            launch(q.ptr(), rows, chunk.q0(), kChunk.ptr(), vChunk.ptr(), k0, from, to, flags, false, false);
            timeTo();
        }
        sync();
    }

    /**
     * One forward launch over every query tile of the rows (heaviest tiles first under a causal-like
     * mask), split over keys when allowed and the spec asks for it, then the fixed-order merge.
     */
    private void launch(Pointer qp, int rows, long q0, Pointer k, Pointer v, int kvBase, int from, int to, int flags,
                        boolean mayServeSplits, boolean packed) {
        if (tcWidth > 0 && !packed) {
            // The tensor-core kernels read packed operands. A block reads only the key tiles (64 keys from
            // key 0) that meet its rows' keys, so packing the tiles that meet the rows' union of keys, within
            // [from, to), is enough; from and to themselves stay as they are (the splits are cut from them).
            int tokens = rows / spec.groupSize();
            int lo = Math.max(from, mask.unionLo((int) q0, tokens) / TILE_KEYS * TILE_KEYS);
            int hi = Math.min(to, (int) Math.min(Integer.MAX_VALUE, (mask.unionHi((int) q0, tokens) + (long) TILE_KEYS - 1) / TILE_KEYS * TILE_KEYS));
            int n = Math.max(0, hi - lo);
            long floats = Math.max(1, (long) n * tcWidth * tcElementBytes(spec.precision()) / 4);
            kPacked.reserve(floats);
            vPacked.reserve(floats);
            if (n > 0) {
                pack(k.withByteOffset(4L * (lo - kvBase) * spec.d()), spec.d(), kPacked.ptr(), n);
                pack(v.withByteOffset(4L * (lo - kvBase) * spec.dv()), spec.dv(), vPacked.ptr(), n);
            }
            k = kPacked.ptr();
            v = vPacked.ptr();
            kvBase = lo;
        }
        int tiles = (rows + tileRows - 1) / tileRows;
        int splits = 1;
        if (mayServeSplits && splitKeys > 0 && (flags & IN_STATE) == 0 && to - from > splitKeys) {
            splits = (int) (((long) to - from + splitKeys - 1) / splitKeys);
        }
        int dv = spec.dv();
        if (splits == 1) {
            forward(qp, rows, q0, k, v, o.ptr(), lse.ptr(), stM.ptr(), stL.ptr(), stAcc.ptr(), kvBase, from, to, 0, flags, tiles, 1);
            return;
        }
        partM.reserve((long) splits * rows);
        partL.reserve((long) splits * rows);
        partAcc.reserve((long) splits * rows * dv);
        forward(qp, rows, q0, k, v, null, null, partM.ptr(), partL.ptr(), partAcc.ptr(), kvBase, from, to, splitKeys, OUT_STATE,
                tiles, splits);
        LaunchArgs merge = mergeArgs(partM.ptr(), partL.ptr(), partAcc.ptr(), o.ptr(), lse.ptr(), stM.ptr(), stL.ptr(),
                stAcc.ptr(), rows, dv, splits, flags);
        long threads = (long) rows * dv;
        int blocks = (int) ((threads + 255) / 256);
        CUfunction fn = dev.function("longattn_merge_splits", 0);
        Cuda.check(JCudaDriver.cuLaunchKernel(fn, blocks, 1, 1, 256, 1, 1, 0, stream, merge.pack(), null),
                "cuLaunchKernel", () -> "longattn_merge_splits, " + rows + " rows x " + dv);
    }

    /** {@link #pack}, then waits: the resident upload reuses its float32 rows for the next block. */
    private void packAndWait(Pointer src, int w, Pointer dst, int keys) {
        pack(src, w, dst, keys);
        sync();
    }

    /** Keys [0, keys) of a float32 K or V (width w) into the operand type, [keys][tcWidth], on this stream. */
    private void pack(Pointer src, int w, Pointer dst, int keys) {
        String fn = "longattn_pack_kv_" + spec.precision().id();
        LaunchArgs args = packArgs(src, w, w, dst, tcWidth, keys);
        long threads = (long) keys * tcWidth;
        int blocks = Math.toIntExact((threads + 255) / 256);
        Cuda.check(JCudaDriver.cuLaunchKernel(dev.function(fn, 0), blocks, 1, 1, 256, 1, 1, 0, stream, args.pack(), null),
                "cuLaunchKernel", () -> fn + ", " + keys + " keys x " + w);
    }

    static LaunchArgs packArgs(Pointer src, long srcStride, int w, Pointer dst, int dp, long keys) {
        return new LaunchArgs().ptr("src", src).i64("src_stride", srcStride).i32("w", w).ptr("dst", dst).i32("dp", dp)
                .i64("keys", keys);
    }

    private void forward(Pointer qp, int rows, long q0, Pointer k, Pointer v, Pointer out, Pointer lseOut, Pointer m, Pointer l,
                         Pointer acc, int kvBase, int from, int to, int split, int flags, int tiles, int splits) {
        LaunchArgs args = forwardArgs(spec, qp, k, v, out, lseOut, m, l, acc, rows, q0, kvBase, from, to, split, flags);
        CUfunction fn = dev.function(forwardName, sharedBytes);
        Cuda.check(JCudaDriver.cuLaunchKernel(fn, tiles, splits, 1, blockThreads, 1, 1, sharedBytes, stream, args.pack(), null),
                "cuLaunchKernel", () -> forwardName + ", " + tiles + " x " + splits + " blocks, " + sharedBytes + " bytes of shared memory");
    }

    /** The forward kernel's parameters, in attention.cu's order (a test holds them against the source). */
    static LaunchArgs forwardArgs(AttentionSpec spec, Pointer qp, Pointer k, Pointer v, Pointer out, Pointer lseOut,
                                  Pointer m, Pointer l, Pointer acc, int rows, long q0, int kvBase, int from, int to,
                                  int split, int flags) {
        MaskGeometry mk = spec.mask();
        int tc = tcWidth(spec);
        return new LaunchArgs()
                .ptr("q", qp).ptr("k", k).ptr("v", v).ptr("o", out).ptr("lse", lseOut)
                .ptr("st_m", m).ptr("st_l", l).ptr("st_acc", acc)
                .i32("rows", rows).i32("hg", spec.groupSize()).i64("q0", q0).i32("d", spec.d()).i32("dv", spec.dv())
                .i64("k_stride", tc > 0 ? tc : spec.d()).i64("v_stride", tc > 0 ? tc : spec.dv()).i64("offset", mk.offset())
                .i32("left", mk.left()).i32("right", mk.right()).i32("sk", spec.sk())
                .i32("kv_from", from).i32("kv_to", to).i32("kv_base", kvBase).i32("split_keys", split)
                .f32("cap", spec.hasSoftcap() ? spec.softcapFactor() : 0f).i32("flags", flags)
                .i32("reverse", mk.right() >= 0 ? 1 : 0);
    }

    static LaunchArgs mergeArgs(Pointer pm, Pointer pl, Pointer pacc, Pointer out, Pointer lseOut, Pointer m, Pointer l,
                                Pointer acc, int rows, int dv, int splits, int flags) {
        return new LaunchArgs().ptr("part_m", pm).ptr("part_l", pl).ptr("part_acc", pacc).ptr("o", out).ptr("lse", lseOut)
                .ptr("out_m", m).ptr("out_l", l).ptr("out_acc", acc)
                .i32("rows", rows).i32("dv", dv).i32("splits", splits).i32("flags", flags);
    }

    /** Waits for this stream's work, then adds the timed launches' GPU time, if any, to deviceSeconds. */
    private void sync() {
        Cuda.check(JCudaDriver.cuStreamSynchronize(stream), "cuStreamSynchronize", () -> forwardName);
        if (!timing) return;
        timing = false;
        float[] ms = new float[1];
        Cuda.check(JCudaDriver.cuEventElapsedTime(ms, launchesStart, launchesEnd), "cuEventElapsedTime", () -> forwardName);
        deviceSeconds += ms[0] / 1e3;
    }

    private void timeFrom() {
        Cuda.check(JCudaDriver.cuEventRecord(launchesStart, stream), "cuEventRecord", () -> forwardName);
    }

    private void timeTo() {
        Cuda.check(JCudaDriver.cuEventRecord(launchesEnd, stream), "cuEventRecord", () -> forwardName);
        timing = true;
    }

    /**
     * Seconds the GPU spent on this instance's unit launches so far (CUDA events around each unit's
     * launches, or each streamed chunk's): the kernel's own time, without copies, uploads of resident
     * K/V or host work.
     */
    public double deviceSeconds() {
        return deviceSeconds;
    }

    /**
     * Puts kv group {@code group}'s whole problem on the GPU (the benchmark's path): its Sq x Hg query
     * rows, scaled, and its keys and values, cut out of the [S][H][D] tensors.
     */
    void prepareWhole(float[] scaledQ, float[] kAll, float[] vAll, int group) {
        dev.bind();
        int hkv = spec.hkv(), hg = spec.groupSize(), sq = spec.sq(), sk = spec.sk(), d = spec.d(), dv = spec.dv();
        int rows = sq * hg;
        float[] tmp = new float[Math.toIntExact(Math.max((long) rows * d, (long) sk * Math.max(d, dv)))];
        for (int t = 0; t < sq; t++) System.arraycopy(scaledQ, (t * spec.hq() + group * hg) * d, tmp, t * hg * d, hg * d);
        q.reserve((long) rows * d).upload(tmp, 0, 0, rows * d);
        for (int t = 0; t < sk; t++) System.arraycopy(kAll, (t * hkv + group) * d, tmp, t * d, d);
        kChunk.reserve((long) sk * d).upload(tmp, 0, 0, sk * d);
        for (int t = 0; t < sk; t++) System.arraycopy(vAll, (t * hkv + group) * dv, tmp, t * dv, dv);
        vChunk.reserve((long) sk * dv).upload(tmp, 0, 0, sk * dv);
        if (tcWidth > 0) { // once, as a caller of torch's 16-bit attention converts its inputs before timing
            long n = (long) sk * tcWidth * tcElementBytes(spec.precision()) / 4;
            pack(kChunk.ptr(), d, kPacked.reserve(n).ptr(), sk);
            pack(vChunk.ptr(), dv, vPacked.reserve(n).ptr(), sk);
            sync();
            wholePacked = true;
        }
        o.reserve((long) rows * dv);
        lse.reserve(rows);
        stM.reserve(rows);
        stL.reserve(rows);
        stAcc.reserve((long) rows * dv);
    }

    /**
     * Launches the prepared whole problem of one group on this instance's stream without waiting: the
     * groups of a benchmark run on their own streams side by side, as the tasks of an executor do.
     */
    void launchWhole() {
        dev.bind();
        Pointer k = wholePacked ? kPacked.ptr() : kChunk.ptr(), v = wholePacked ? vPacked.ptr() : vChunk.ptr();
        launch(q.ptr(), spec.sq() * spec.groupSize(), 0, k, v, 0, 0, spec.sk(), OUT_FINAL, true, wholePacked);
    }

    /** O [Sq * Hg][dv] of the last {@link #launchWhole} (for spot checks). */
    void lastOutput(float[] dst) {
        sync();
        o.download(0, dst, 0, spec.sq() * spec.groupSize() * spec.dv());
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        dev.bind();
        for (DeviceBuffer b : new DeviceBuffer[]{q, o, lse, stM, stL, stAcc, partM, partL, partAcc, kChunk, vChunk, kPacked, vPacked}) b.close();
        JCudaDriver.cuEventDestroy(launchesStart);
        JCudaDriver.cuEventDestroy(launchesEnd);
        JCudaDriver.cuStreamDestroy(stream);
    }
}
