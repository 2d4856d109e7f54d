package io.longattn.kernels.bench;

import io.longattn.kernels.AttentionKernel;
import io.longattn.kernels.AttentionSpec;
import io.longattn.kernels.KernelSelector;
import io.longattn.kernels.KernelTraits;
import io.longattn.kernels.KvSource;
import io.longattn.kernels.LocalAttention;
import io.longattn.kernels.UnitRunner;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The kernel benchmark engine behind {@code longattn bench kernel}.
 *
 * <p>{@link #run(Options)} first measures the peak of this JVM with a register-blocked FMA probe
 * ({@link PeakProbe}: 5 probes of 0.2 s on the same number of threads; with
 * {@link Options#interleavePeak}, the default, one more 0.1 s probe after each timed repetition, and
 * the kernel's peak is the median of all its probes), then for each kernel: builds random Q/K/V for the
 * shape, runs the whole attention through the unit path ({@link UnitRunner}: query chunks of
 * {@code qChunk} tokens x kv groups, kv blocks of {@code kvChunk} keys, fully masked blocks skipped),
 * {@code warmup} untimed repetitions (and more until {@code minWarmupSeconds} have passed and the
 * speed has settled), {@code reps} timed ones, and reports the median.
 * GFLOP/s = {@link AttentionSpec#flops()} (2 * unmasked pairs * Hq * (D + Dv)) / median seconds;
 * ratio = GFLOP/s / peak GFLOP/s.
 *
 * <p>Threads: {@code simd} gets {@code threads} through its own worker threads
 * (a kernel whose traits say it has threads of its own: every kv block is split between them by query-row tiles),
 * or with {@link Options#parallelUnits} as parallel units. A kernel without threads of its own
 * ({@code scalar}) always runs {@code threads} parallel units (each thread its own kernel and runner,
 * taking the next query chunk, costliest first, when free).
 *
 * <p>Slow kernels: before timing, one query chunk is timed and the cost of a full repetition
 * estimated. When that exceeds {@code maxRepSeconds} (default 20 s; the scalar kernel at 16384^2 runs
 * ~0.5 to 1 minute per repetition) the kernel is timed on an evenly spaced sample of the query chunks
 * sized to the budget, and its FLOPs are counted over exactly those chunks' unmasked pairs, so
 * GFLOP/s stays a true rate; warm-up is then capped at 1 and reps at 3. The result's
 * {@code sampledFraction} says what fraction of the work was timed (1 = all).
 */
public final class KernelBench {
    private KernelBench() {
    }

    /** What to benchmark. Fields are public for a CLI to fill; -1 means "same as" where noted. */
    public static final class Options {
        public int seq = 16384;
        /** Key/value sequence length; -1 = seq. */
        public int kvSeq = -1;
        public int heads = 1;
        /** -1 = heads (MHA). */
        public int kvHeads = -1;
        public int dim = 64;
        /** Value head dim; -1 = dim. */
        public int vDim = -1;
        public boolean causal = false;
        public int windowLeft = -1;
        public int windowRight = -1;
        public int threads = 1;
        /** Kernel requests ("simd", "scalar", "simd:6x4" for a fixed SIMD tile), or "all" (every kernel available here). */
        public List<String> kernels = List.of("simd");
        public int warmup = 2;
        /** Warm-up lasts at least this long, and until a repetition is within 10% of the best one. */
        public double minWarmupSeconds = 3;
        public int reps = 5;
        /**
         * Query chunk tokens (0: 512, or {@link KernelTraits#queryRowsPerThread()} rows per thread when simd runs
         * on its own threads, whichever is more) and kv block keys (2048). With simd's own threads every
         * kv block costs two handshakes; at 16384^2, D = 64, 2 threads went from ~1.3x to ~2x one thread
         * going from 256/512 to 512/2048 (1 thread: no change).
         */
        public int qChunk = 0;
        public int kvChunk = 2048;
        /** Budget for one timed repetition; above it the kernel is timed on a sample of query chunks. */
        public double maxRepSeconds = 20;
        public long seed = 42;
        /** Skip the peak probe (peak and ratio are then NaN). */
        public boolean skipPeak = false;
        /**
         * Also probe the peak (~0.1 s) after every timed repetition and report the median of all probes
         * of this kernel's run: on a shared machine the FMA throughput drifts, and a peak taken only
         * minutes before can be off by 30%.
         */
        public boolean interleavePeak = true;
        /**
         * With threads > 1, run simd as {@code threads} parallel units (one single-threaded kernel per
         * thread, each taking the next query chunk, costliest first, when free) instead of one kernel with its own
         * threads.
         */
        public boolean parallelUnits = false;

        /** The query chunk in tokens for a run of kernel request {@code name} on {@code threads} threads. */
        public int queryChunk(String name, int threads) {
            if (qChunk > 0) return qChunk;
            KernelTraits traits = KernelSelector.standard().select(name).traits();
            int rows = traits.ownThreads() && !parallelUnits && threads > 1 ? traits.queryRowsPerThread() * threads : 0;
            int hg = heads / kvHeadsOrHeads();
            return Math.max(512, (rows + hg - 1) / hg);
        }

        public int kvSeqOrSeq() {
            return kvSeq > 0 ? kvSeq : seq;
        }

        public int kvHeadsOrHeads() {
            return kvHeads > 0 ? kvHeads : heads;
        }

        public int vDimOrDim() {
            return vDim > 0 ? vDim : dim;
        }

        public AttentionSpec spec() {
            return AttentionSpec.of(seq, kvSeqOrSeq(), heads, kvHeadsOrHeads(), dim, vDimOrDim())
                    .withCausal(causal).withWindow(windowLeft, windowRight);
        }

        /** Kernel requests resolved: "all" expands to what can run here, auto to its pick; options stay. */
        public List<String> kernelNames() {
            List<String> out = new ArrayList<>();
            for (String k : kernels) {
                if (k.equals("all")) {
                    for (String a : KernelSelector.standard().available()) if (!out.contains(a)) out.add(a);
                } else {
                    String name = KernelSelector.standard().select(k).name(); // validates, resolves auto
                    if (k.indexOf(':') >= 0) name = k;
                    if (!out.contains(name)) out.add(name);
                }
            }
            return out;
        }
    }

    /** One kernel's figures. {@link #toJson()} writes exactly the documented fields. */
    public record Result(String kernel, int seq, int kvSeq, int heads, int kvHeads, int dim, int vDim,
                         boolean causal, int threads, double seconds, double gflops, double peakGflops,
                         double ratio, int reps, double sampledFraction, double[] allSeconds) {

        /** One JSON object (one line): kernel, seq, kv_seq, heads, kv_heads, dim, causal, threads,
         * seconds, gflops, peak_gflops, ratio. */
        public String toJson() {
            return String.format(Locale.ROOT,
                    "{\"kernel\":\"%s\",\"seq\":%d,\"kv_seq\":%d,\"heads\":%d,\"kv_heads\":%d,\"dim\":%d,"
                            + "\"causal\":%s,\"threads\":%d,\"seconds\":%s,\"gflops\":%s,\"peak_gflops\":%s,\"ratio\":%s}",
                    kernel, seq, kvSeq, heads, kvHeads, dim, causal, threads,
                    num(seconds), num(gflops), num(peakGflops), num(ratio));
        }

        private static String num(double x) {
            if (Double.isNaN(x) || Double.isInfinite(x)) return "null";
            return String.format(Locale.ROOT, "%.6g", x);
        }
    }

    /** Runs the peak probe, then every requested kernel. */
    public static List<Result> run(Options o) {
        AttentionSpec spec = o.spec();
        List<String> names = o.kernelNames();
        double[] peak = o.skipPeak ? null : PeakProbe.samples(o.threads, 5, 0.2);
        Inputs in = Inputs.random(spec, o.seed);
        List<Result> results = new ArrayList<>();
        for (String name : names) {
            results.add(runKernel(o, spec, name, in, peak));
        }
        return results;
    }

    /** Human table of results. */
    public static String table(List<Result> results) {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "%-7s %7s %7s %5s %5s %4s %4s %6s %7s %9s %9s %9s %6s%n",
                "kernel", "seq", "kv_seq", "heads", "kvh", "dim", "vdim", "causal", "threads",
                "seconds", "GFLOP/s", "peak", "ratio"));
        for (Result r : results) {
            sb.append(String.format(Locale.ROOT, "%-7s %7d %7d %5d %5d %4d %4d %6s %7d %9.4f %9.2f %9.2f %6.3f",
                    r.kernel(), r.seq(), r.kvSeq(), r.heads(), r.kvHeads(), r.dim(), r.vDim(),
                    r.causal() ? "yes" : "no", r.threads(), r.seconds(), r.gflops(), r.peakGflops(), r.ratio()));
            if (r.sampledFraction() < 1) {
                sb.append(String.format(Locale.ROOT, "   (timed on %.1f%% of the query chunks)", 100 * r.sampledFraction()));
            }
            sb.append(String.format(Locale.ROOT, "   median of %d%n", r.reps()));
        }
        return sb.toString();
    }

    record Inputs(float[] q, float[] k, float[] v) {
        static Inputs random(AttentionSpec spec, long seed) {
            SplittableRandom r = new SplittableRandom(seed);
            return new Inputs(fill(r, (long) spec.sq() * spec.hq() * spec.d()),
                    fill(r, (long) spec.sk() * spec.hkv() * spec.d()),
                    fill(r, (long) spec.sk() * spec.hkv() * spec.dv()));
        }

        private static float[] fill(SplittableRandom r, long n) {
            if (n > Integer.MAX_VALUE - 8) throw new IllegalArgumentException("tensor of " + n + " floats is too large");
            float[] a = new float[(int) n];
            for (int i = 0; i < a.length; i++) a[i] = (float) (r.nextDouble() * 2 - 1);
            return a;
        }
    }

    private static Result runKernel(Options o, AttentionSpec spec, String name, Inputs in, double[] firstPeak) {
        int threads = o.threads;
        int qChunk = o.queryChunk(name, threads);
        int chunks = (spec.sq() + qChunk - 1) / qChunk;
        try (Work work = new Work(spec, name, threads, o.parallelUnits, qChunk, o.kvChunk, in)) {
            // calibrate on one chunk from the middle (also warms the JIT a little)
            int[] one = {chunks / 2};
            work.run(one);
            long t0 = System.nanoTime();
            work.run(one);
            double perChunk = Math.max(1e-9, (System.nanoTime() - t0) / 1e9);
            double estimate = perChunk * chunks / (work.runners.length == 1 ? 1 : Math.min(threads, chunks));
            int[] sample;
            int warmup = o.warmup, reps = Math.max(1, o.reps);
            if (estimate > o.maxRepSeconds && chunks > 1) {
                int take = (int) Math.max(1, Math.floor(chunks * o.maxRepSeconds / estimate));
                sample = new int[take];
                for (int i = 0; i < take; i++) sample[i] = (int) ((long) i * chunks / take);
                warmup = Math.min(warmup, 1);
                reps = Math.min(reps, 3);
            } else {
                sample = new int[chunks];
                for (int i = 0; i < chunks; i++) sample[i] = i;
            }
            double flops = 0, allFlops = spec.flops();
            for (int c : sample) flops += 2.0 * chunkPairs(spec, qChunk, c) * spec.hq() * (spec.d() + spec.dv());
            sample = costliestFirst(spec, qChunk, sample);
            warmUp(work, sample, warmup, o.minWarmupSeconds);
            double[] secs = new double[reps];
            List<Double> peaks = new ArrayList<>();
            if (firstPeak != null) for (double p : firstPeak) peaks.add(p);
            for (int i = 0; i < reps; i++) {
                long s = System.nanoTime();
                work.run(sample);
                secs[i] = (System.nanoTime() - s) / 1e9;
                if (firstPeak != null && o.interleavePeak) peaks.add(PeakProbe.samples(threads, 1, 0.1)[0]);
            }
            double peak = firstPeak == null ? Double.NaN
                    : median(peaks.stream().mapToDouble(Double::doubleValue).toArray());
            double med = median(secs);
            double gf = flops / med / 1e9;
            return new Result(name, spec.sq(), spec.sk(), spec.hq(), spec.hkv(), spec.d(), spec.dv(), spec.causal(),
                    threads, med, gf, peak, gf / peak, reps, allFlops > 0 ? flops / allFlops : 1, secs);
        }
    }

    /**
     * At least {@code warmup} repetitions, then more while fewer than {@code minSeconds} have passed or
     * the last one was over 10% slower than the best (at most 60 s in all). The Vector API kernels run
     * boxed and ~20x slower until C2 has compiled them, and on a loaded machine (measured with the
     * process pinned to one core on the device) C2 can take longer than two short repetitions.
     */
    /**
     * The chunks in the order parallel units take them: costliest first, as a job's free slots take its guided
     * partitions (dealt round-robin, a causal mask gave the last of 16 units ~1.5x the mean work).
     */
    static int[] costliestFirst(AttentionSpec spec, int qChunk, int[] chunks) {
        return Arrays.stream(chunks).boxed()
                .sorted(Comparator.comparingLong((Integer c) -> chunkPairs(spec, qChunk, c)).reversed())
                .mapToInt(Integer::intValue).toArray();
    }

    private static long chunkPairs(AttentionSpec spec, int qChunk, int chunk) {
        int q0 = chunk * qChunk;
        return spec.mask().unmaskedPairs(q0, Math.min(qChunk, spec.sq() - q0));
    }

    private static void warmUp(Work work, int[] sample, int warmup, double minSeconds) {
        long start = System.nanoTime();
        double best = Double.MAX_VALUE, last = Double.MAX_VALUE;
        for (int i = 0; ; i++) {
            double elapsed = (System.nanoTime() - start) / 1e9;
            if (i >= warmup && ((elapsed >= minSeconds && last <= 1.1 * best) || elapsed >= 60)) return;
            long s = System.nanoTime();
            work.run(sample);
            last = (System.nanoTime() - s) / 1e9;
            best = Math.min(best, last);
        }
    }

    static double median(double[] xs) {
        double[] a = xs.clone();
        Arrays.sort(a);
        int n = a.length;
        return n % 2 == 1 ? a[n / 2] : (a[n / 2 - 1] + a[n / 2]) / 2;
    }

    /**
     * The work of one repetition: the given query chunks x every kv group through UnitRunners.
     * simd: one runner, the kernel's own threads. Others: one runner and kernel per thread, each taking the
     * next chunk when free.
     */
    private static final class Work implements AutoCloseable {
        final AttentionSpec spec;
        final int qChunk;
        final Inputs in;
        final AttentionKernel[] kernels;
        final UnitRunner[] runners;
        final float[][] outs;
        final float[][] lses;
        final KvSource source;

        Work(AttentionSpec spec, String name, int threads, boolean parallelUnits, int qChunk, int kvChunk, Inputs in) {
            this.spec = spec;
            this.qChunk = qChunk;
            this.in = in;
            boolean ownThreads = KernelSelector.standard().select(name).traits().ownThreads() && !parallelUnits;
            int lanes = ownThreads ? 1 : threads;
            int kernelThreads = ownThreads ? threads : 1;
            kernels = new AttentionKernel[lanes];
            runners = new UnitRunner[lanes];
            outs = new float[lanes][];
            lses = new float[lanes][];
            for (int t = 0; t < lanes; t++) {
                kernels[t] = KernelSelector.standard().create(name, spec, kernelThreads);
                runners[t] = new UnitRunner(spec, kernels[t], qChunk, kvChunk);
                outs[t] = new float[qChunk * spec.groupSize() * spec.dv()];
                lses[t] = new float[qChunk * spec.groupSize()];
            }
            source = LocalAttention.arrays(spec, in.k(), in.v());
        }

        /** The chunks, in this order: each free lane takes the next one. */
        void run(int[] chunks) {
            int lanes = runners.length;
            AtomicInteger next = new AtomicInteger();
            if (lanes == 1) {
                runLane(0, chunks, next);
                return;
            }
            Thread[] ts = new Thread[lanes - 1];
            AtomicReference<Throwable> err = new AtomicReference<>();
            for (int t = 1; t < lanes; t++) {
                final int lane = t;
                ts[t - 1] = new Thread(() -> {
                    try {
                        runLane(lane, chunks, next);
                    } catch (Throwable e) {
                        err.compareAndSet(null, e);
                    }
                }, "longattn-bench-" + t);
                ts[t - 1].start();
            }
            runLane(0, chunks, next);
            for (Thread t : ts) {
                try {
                    t.join();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted", e);
                }
            }
            if (err.get() != null) throw new IllegalStateException("benchmark thread failed", err.get());
        }

        private void runLane(int lane, int[] chunks, AtomicInteger next) {
            int hg = spec.groupSize(), hq = spec.hq();
            UnitRunner runner = runners[lane];
            for (int i = next.getAndIncrement(); i < chunks.length; i = next.getAndIncrement()) {
                int q0 = chunks[i] * qChunk;
                int tokens = Math.min(qChunk, spec.sq() - q0);
                for (int g = 0; g < spec.hkv(); g++) {
                    runner.query().load(q0, tokens, in.q(), q0 * hq * spec.d(), hq, g * hg, spec.queryFactor());
                    runner.run(g, source, outs[lane], 0, lses[lane], 0);
                }
            }
        }

        @Override
        public void close() {
            for (AttentionKernel k : kernels) k.close();
        }
    }

    /**
     * Minimal command line for running the engine directly: --key value pairs named as the Options
     * fields; --threads takes a list (1,2 runs both in this JVM, in turn) and --rounds N repeats the
     * whole set N times, so that figures to compare are taken side by side.
     */
    public static void main(String[] args) {
        if (Boolean.getBoolean("longattn.bench.describe")) {
            System.err.println("kernel " + KernelSelector.standard().select(null).reason());
        }
        Options o = new Options();
        boolean json = false;
        int[] threadList = {1};
        int rounds = 1;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            switch (a) {
                case "--json" -> json = true;
                case "--causal" -> o.causal = true;
                case "--skip-peak" -> o.skipPeak = true;
                case "--parallel-units" -> o.parallelUnits = true;
                case "--no-interleave-peak" -> o.interleavePeak = false;
                default -> {
                    if (i + 1 >= args.length) throw new IllegalArgumentException("option " + a + " needs a value");
                    String v = args[++i];
                    switch (a) {
                        case "--seq" -> o.seq = Integer.parseInt(v);
                        case "--kv-seq" -> o.kvSeq = Integer.parseInt(v);
                        case "--heads" -> o.heads = Integer.parseInt(v);
                        case "--kv-heads" -> o.kvHeads = Integer.parseInt(v);
                        case "--dim" -> o.dim = Integer.parseInt(v);
                        case "--v-dim" -> o.vDim = Integer.parseInt(v);
                        case "--window-left" -> o.windowLeft = Integer.parseInt(v);
                        case "--window-right" -> o.windowRight = Integer.parseInt(v);
                        case "--threads" -> threadList = Arrays.stream(v.split(",")).mapToInt(Integer::parseInt).toArray();
                        case "--rounds" -> rounds = Integer.parseInt(v);
                        case "--kernels" -> o.kernels = List.of(v.split(","));
                        case "--warmup" -> o.warmup = Integer.parseInt(v);
                        case "--min-warmup-seconds" -> o.minWarmupSeconds = Double.parseDouble(v);
                        case "--reps" -> o.reps = Integer.parseInt(v);
                        case "--q-chunk" -> o.qChunk = Integer.parseInt(v);
                        case "--kv-chunk" -> o.kvChunk = Integer.parseInt(v);
                        case "--max-rep-seconds" -> o.maxRepSeconds = Double.parseDouble(v);
                        case "--seed" -> o.seed = Long.parseLong(v);
                        default -> throw new IllegalArgumentException("unknown option " + a);
                    }
                }
            }
        }
        for (int round = 0; round < rounds; round++) {
            for (int t : threadList) {
                o.threads = t;
                List<Result> rs = run(o);
                if (json) {
                    for (Result r : rs) System.out.println(r.toJson());
                } else {
                    System.out.print(table(rs));
                }
                System.out.flush();
            }
        }
    }
}
