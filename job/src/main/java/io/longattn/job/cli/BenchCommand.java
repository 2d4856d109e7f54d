package io.longattn.job.cli;

import io.longattn.job.UserError;
import io.longattn.job.JobLauncher;
import io.longattn.job.JobRequest;
import io.longattn.job.Plural;
import io.longattn.job.plan.PartitionCount;
import io.longattn.job.report.JobSummary;
import io.longattn.job.report.Json;
import io.longattn.job.spark.PlannedJob;
import io.longattn.job.plan.JobPlanner;
import io.longattn.job.settings.Settings;
import io.longattn.kernels.AttentionSpec;
import io.longattn.kernels.Precision;
import io.longattn.kernels.bench.KernelBench;
import io.longattn.kernels.cuda.CudaBench;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.stream.Stream;

/**
 * bin/longattn bench kernel: the local kernels against a peak probe run in the same JVM; bench job: the
 * whole job against the bare kernel doing the same work, in one run.
 */
@Command(name = "bench", description = "Benchmarks.", subcommands = {BenchCommand.Kernel.class, BenchCommand.Job.class})
final class BenchCommand implements Runnable {
    @Override
    public void run() {
        throw new UserError("bench", "no benchmark named", "'bench kernel' or 'bench job'");
    }

    @Command(name = "job", description = "Run the job on random inputs of one shape, then the bare kernel on the same work"
            + " (same chunks, as many parallel units as the job has task slots) in the same JVM; print both and their ratio.")
    static final class Job implements Callable<Integer>, SettingFlags.Holder {
        @Mixin
        ShapeOptions shape = new ShapeOptions();
        @Mixin
        MaskOptions mask = new MaskOptions();
        @Mixin
        JobOptions job = new JobOptions();
        @Option(names = "--reps", paramLabel = "N", description = "Timed kernel repetitions after one warm-up (default 3).")
        int reps = 3;
        @Option(names = "--dir", paramLabel = "DIR", description = "Where the random inputs and the output go (default: a new"
                + " temporary directory, deleted afterwards).")
        String dir;
        @Option(names = "--json", description = "One JSON object instead of the text line.") boolean json;
        @Option(names = "--kernel-budget", paramLabel = "S", description = "Seconds one timed kernel repetition may take"
                + " (default 20); above it the kernel is timed on an evenly spaced sample of the query chunks and its time"
                + " scaled to the whole work by the sample's share of the FLOPs.")
        double kernelBudget = 20;

        @Override
        public SettingFlags settingFlags() {
            return job.settings;
        }

        @Override
        public Integer call() throws IOException {
            shape.check();
            if (reps < 1) throw new UserError("--reps", reps + " is not positive", "an integer >= 1");
            Path work = dir != null ? Path.of(dir) : Files.createTempDirectory("longattn-bench-job");
            try {
                return measure(work);
            } finally {
                if (dir == null) delete(work);
            }
        }

        private int measure(Path work) {
            GenCommand gen = new GenCommand();
            gen.shape = shape;
            gen.out = work.toString();
            gen.overwrite = true;
            gen.call();
            JobRequest.Inputs in = new JobRequest.Inputs(work.resolve("q.npy").toString(), work.resolve("k.npy").toString(),
                    work.resolve("v.npy").toString(), work.resolve("o.npy").toString(), null, true, false);
            JobRequest request = new JobRequest(in, mask.attention(null, null), job.conf(), job.master, job.report);
            JobSummary s = JobLauncher.launch(request, System.err);
            System.err.println(Settings.TIMELINE.get(request.conf()) ? s.oneLineWithTimeline() : s.oneLine());

            PlannedJob j = s.job();
            KernelBench.Options o = new KernelBench.Options();
            o.seq = j.spec().sq();
            o.kvSeq = j.spec().sk();
            o.heads = j.spec().hq();
            o.kvHeads = j.spec().hkv();
            o.dim = j.spec().d();
            o.vDim = j.spec().dv();
            o.causal = j.spec().causal();
            o.windowLeft = j.spec().windowLeft();
            o.windowRight = j.spec().windowRight();
            o.kernels = List.of(j.kernel().request());
            // the job's tasks each run one unit at a time on plan.threads() kernel threads, as many at once as it has slots
            int slots = Math.min(j.partitions(), taskSlots(request));
            o.parallelUnits = j.plan().threads() == 1;
            o.threads = o.parallelUnits ? slots : j.plan().threads();
            o.qChunk = j.plan().queryChunk();
            o.kvChunk = j.plan().kvChunk();
            o.warmup = 1; // the job ran the same kernel in this JVM (local mode) or elsewhere: one repetition warms it here
            o.minWarmupSeconds = 0;
            o.reps = reps;
            o.skipPeak = true;
            if (!(kernelBudget > 0)) throw new UserError("--kernel-budget", kernelBudget + " is not a number of seconds", "a number > 0");
            o.maxRepSeconds = kernelBudget;
            KernelBench.Result k = KernelBench.run(o).get(0);
            // above its time budget the kernel is timed on an evenly spaced sample of the query chunks, its FLOPs counted
            // over exactly those: the whole work then takes the sample's seconds over the sample's share of the FLOPs
            double kernelSeconds = k.seconds() / k.sampledFraction();
            double ratio = s.seconds() / kernelSeconds;
            String sampled = k.sampledFraction() < 1 ? String.format(Locale.ROOT, ", timed on %.1f%% of the work and scaled to all of it",
                    100 * k.sampledFraction()) : "";
            if (json) {
                System.out.println(new Json().put("shape", j.spec().describe()).put("partitions", j.partitions())
                        .put("job_seconds", s.seconds()).put("job_gflops", s.gflops()).put("kernel", k.kernel())
                        .put("kernel_threads", o.threads).put("parallel_units", o.parallelUnits).put("kernel_seconds", kernelSeconds)
                        .put("kernel_sampled_fraction", k.sampledFraction()).put("kernel_gflops", k.gflops()).put("ratio", ratio));
            } else {
                System.out.printf(Locale.ROOT, "%s | job %.3f s (%.1f GFLOP/s, %s) | kernel %s %.3f s (%.1f GFLOP/s, %s,"
                                + " median of %d%s) | job/kernel %.3f%n", j.spec().describe(), s.seconds(), s.gflops(),
                        Plural.of(j.partitions(), "partition"), k.kernel(), kernelSeconds, k.gflops(),
                        o.parallelUnits ? Plural.of(o.threads, "parallel unit") : Plural.of(o.threads, "thread"), k.reps(), sampled, ratio);
            }
            return 0;
        }

        /** Tasks that run at once: a local master's threads; otherwise the partitions (a cluster's slots are not known here). */
        private static int taskSlots(JobRequest request) {
            String master = request.master() != null ? request.master() : System.getProperty("spark.master", "local[*]");
            return master.startsWith("local") ? Math.max(1, PartitionCount.localThreads(master)) : Integer.MAX_VALUE;
        }

        private static void delete(Path work) throws IOException {
            try (Stream<Path> files = Files.walk(work)) {
                for (Path p : files.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
            }
        }
    }

    @Command(name = "kernel", description = "Time the kernels on one shape beside an FMA peak probe (median of timed repetitions).")
    static final class Kernel implements Callable<Integer>, SettingFlags.Holder {
        @Mixin
        ShapeOptions shape = new ShapeOptions();
        @Mixin
        MaskOptions mask = new MaskOptions();
        final SettingFlags settings = new SettingFlags(List.of(Settings.THREADS, Settings.PRECISION));
        @Option(names = "--kernel", paramLabel = "simd|scalar|all|cuda", description = "Kernels to time (default simd);"
                + " cuda times whole-problem GPU passes with CUDA events instead (no peak probe).") String kernel = "simd";
        @Option(names = "--reps", paramLabel = "N", description = "Timed repetitions (default 5).") int reps = 5;
        @Option(names = "--warmup", paramLabel = "N", description = "Warm-up repetitions (default 2; more until"
                + " --min-warmup-seconds have passed and the speed has settled).") int warmup = 2;
        @Option(names = "--min-warmup-seconds", paramLabel = "S", description = "Shortest warm-up (default 3): the SIMD"
                + " kernel runs ~20x slower until the JIT has compiled it.") double minWarmupSeconds = 3;
        @Option(names = "--parallel-units", description = "With T threads, run T units side by side (as a job's tasks do)"
                + " instead of splitting each unit between the kernel's own threads.") boolean parallelUnits;
        @Option(names = "--json", description = "One JSON object per kernel per line.") boolean json;

        @Override
        public SettingFlags settingFlags() {
            return settings;
        }

        @Override
        public Integer call() {
            KernelBench.Options o = new KernelBench.Options();
            shape.check();
            o.seq = shape.seq;
            o.kvSeq = shape.sk();
            o.heads = shape.heads;
            o.kvHeads = shape.hkv();
            o.dim = shape.dim;
            o.vDim = shape.dv();
            JobRequest.Attention a = mask.attention(null, null);
            o.causal = a.causal();
            o.windowLeft = a.windowLeft();
            o.windowRight = a.windowRight();
            int threads = settings.get(Settings.THREADS);
            if (reps < 1) throw new UserError("--reps", reps + " is not positive", "an integer >= 1");
            o.threads = threads;
            o.parallelUnits = parallelUnits;
            o.reps = reps;
            o.warmup = Math.max(0, warmup);
            if (!(minWarmupSeconds >= 0 && minWarmupSeconds <= 600)) {
                throw new UserError("--min-warmup-seconds", minWarmupSeconds + " is out of range", "a number of seconds in 0..600");
            }
            o.minWarmupSeconds = minWarmupSeconds;
            Precision precision = settings.get(Settings.PRECISION);
            if (kernel.equals("cuda") || kernel.startsWith("cuda:")) return gpu(a, threads, precision);
            o.kernels = List.of(kernel.split(","));
            AttentionSpec asked = AttentionSpec.of(o.seq, o.kvSeq, o.heads, o.kvHeads, o.dim, o.vDim).withPrecision(precision);
            for (String name : o.kernels) {
                if (name.equals("all")) {
                    if (precision != Precision.FP32) JobPlanner.checkPrecision(JobPlanner.pickKernel("scalar", 1), asked);
                    continue;
                }
                // the name only: --parallel-units runs scalar units side by side
                JobPlanner.checkPrecision(JobPlanner.pickKernel(name, 1), asked);
            }
            List<KernelBench.Result> results = KernelBench.run(o);
            if (json) {
                for (KernelBench.Result r : results) System.out.println(r.toJson());
            } else {
                System.out.print(KernelBench.table(results));
            }
            return 0;
        }

        /** The GPU kernel: whole-problem passes timed with CUDA events, checked against float64 on sampled rows. */
        private int gpu(JobRequest.Attention a, int threads, Precision precision) {
            JobPlanner.KernelPick pick = JobPlanner.pickKernel(kernel, threads);
            int device = kernel.contains(":") ? Integer.parseInt(kernel.substring(kernel.indexOf(':') + 1)) : 0;
            AttentionSpec spec = new AttentionSpec(shape.seq, shape.sk(), shape.heads, shape.hkv(), shape.dim, shape.dv(),
                    AttentionSpec.defaultScale(shape.dim), a.causal(), a.windowLeft(), a.windowRight(), 0).withPrecision(precision);
            CudaBench.Result r = CudaBench.run(spec, reps, Math.max(0, warmup), 4, device);
            if (json) {
                System.out.println(r.toJson());
            } else {
                System.out.printf(java.util.Locale.ROOT, "%s: %s | %s | %s | median %.3f ms of %d passes, %.2f TFLOP/s"
                                + " (unmasked pairs), max |O - float64| / max|V| on 4 rows %.1e%n", pick.request(), r.gpu(),
                        spec.describe(), r.kernel(), r.medianMs(), reps, r.tflops(), r.maxErr());
            }
            return 0;
        }
    }
}
