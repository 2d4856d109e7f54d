package io.longattn.job.cli;

import io.longattn.job.UserError;
import io.longattn.job.JobRequest;
import io.longattn.job.plan.JobPlanner;
import io.longattn.job.settings.Settings;
import io.longattn.kernels.AttentionSpec;
import io.longattn.kernels.bench.KernelBench;
import io.longattn.kernels.cuda.CudaBench;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.util.List;
import java.util.concurrent.Callable;

/** bin/longattn bench kernel: the local kernels against a peak probe run in the same JVM. */
@Command(name = "bench", description = "Benchmarks (no Spark).", subcommands = BenchCommand.Kernel.class)
final class BenchCommand implements Runnable {
    @Override
    public void run() {
        throw new UserError("bench", "no benchmark named", "'bench kernel'");
    }

    @Command(name = "kernel", description = "Time the kernels on one shape beside an FMA peak probe (median of timed repetitions).")
    static final class Kernel implements Callable<Integer>, SettingFlags.Holder {
        @Mixin
        ShapeOptions shape = new ShapeOptions();
        @Mixin
        MaskOptions mask = new MaskOptions();
        final SettingFlags settings = new SettingFlags(List.of(Settings.THREADS));
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
            if (kernel.equals("cuda") || kernel.startsWith("cuda:")) return gpu(a, threads);
            o.kernels = List.of(kernel.split(","));
            for (String name : o.kernels) {
                if (!name.equals("all")) JobPlanner.pickKernel(name, 1); // the name only: --parallel-units runs scalar units side by side
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
        private int gpu(JobRequest.Attention a, int threads) {
            JobPlanner.KernelPick pick = JobPlanner.pickKernel(kernel, threads);
            int device = kernel.contains(":") ? Integer.parseInt(kernel.substring(kernel.indexOf(':') + 1)) : 0;
            AttentionSpec spec = new AttentionSpec(shape.seq, shape.sk(), shape.heads, shape.hkv(), shape.dim, shape.dv(),
                    AttentionSpec.defaultScale(shape.dim), a.causal(), a.windowLeft(), a.windowRight(), 0);
            CudaBench.Result r = CudaBench.run(spec, reps, Math.max(0, warmup), 4, device);
            if (json) {
                System.out.println(r.toJson());
            } else {
                System.out.printf(java.util.Locale.ROOT, "%s: %s | %s | median %.3f ms of %d passes, %.2f TFLOP/s"
                                + " (unmasked pairs), max |O - float64| / max|V| on 4 rows %.1e%n", pick.request(), r.gpu(),
                        spec.describe(), r.medianMs(), reps, r.tflops(), r.maxErr());
            }
            return 0;
        }
    }
}
