package io.longattn.kernels.cuda;

import io.longattn.kernels.AttentionSpec;
import io.longattn.kernels.Float64Reference;
import io.longattn.kernels.Precision;
import jcuda.driver.CUevent;
import jcuda.driver.JCudaDriver;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Times the CUDA kernel on one shape with CUDA events: random float32 Q/K/V on the GPU, whole-problem
 * passes (one launch per kv group over all its query rows, the groups on streams of their own, side by
 * side), warm-up, then the median of the timed passes.
 * TFLOP/s count only unmasked pairs, 2 * pairs * Hq * (D + Dv), as every LongAttn figure does. Checks
 * sampled rows of the last kv group against the float64 reference. Prints one JSON line.
 * Usage: CudaBench --seq S [--kv-seq S] --heads H [--kv-heads G] --dim D [--v-dim DV] [--causal]
 *                  [--window L,R] [--precision fp32|tf32|fp16|bf16] [--reps R] [--warmup W] [--check N] [--device I] [--mma-sync]
 */
public final class CudaBench {
    private CudaBench() {
    }

    public static void main(String[] args) {
        int seq = 16384, kvSeq = -1, heads = 1, kvHeads = -1, dim = 64, vDim = -1, reps = 10, warmup = 3, check = 8, device = 0;
        boolean causal = false, mmaSync = false;
        Precision precision = Precision.FP32;
        int left = -1, right = -1;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            switch (a) {
                case "--seq" -> seq = Integer.parseInt(args[++i]);
                case "--kv-seq" -> kvSeq = Integer.parseInt(args[++i]);
                case "--heads" -> heads = Integer.parseInt(args[++i]);
                case "--kv-heads" -> kvHeads = Integer.parseInt(args[++i]);
                case "--dim" -> dim = Integer.parseInt(args[++i]);
                case "--v-dim" -> vDim = Integer.parseInt(args[++i]);
                case "--causal" -> causal = true;
                case "--precision" -> precision = Precision.valueOf(args[++i].toUpperCase(java.util.Locale.ROOT));
                case "--window" -> {
                    String[] w = args[++i].split(",");
                    left = Integer.parseInt(w[0]);
                    right = Integer.parseInt(w[1]);
                }
                case "--reps" -> reps = Integer.parseInt(args[++i]);
                case "--warmup" -> warmup = Integer.parseInt(args[++i]);
                case "--check" -> check = Integer.parseInt(args[++i]);
                case "--device" -> device = Integer.parseInt(args[++i]);
                case "--mma-sync" -> mmaSync = true;
                default -> {
                    System.err.println("CudaBench: unknown option " + a);
                    System.exit(2);
                }
            }
        }
        AttentionSpec spec = new AttentionSpec(seq, kvSeq > 0 ? kvSeq : seq, heads, kvHeads > 0 ? kvHeads : heads, dim,
                vDim > 0 ? vDim : dim, AttentionSpec.defaultScale(dim), causal, left, right, 0, precision);
        CudaProbe probe = CudaProbe.get();
        if (!probe.usable()) {
            System.err.println("CudaBench: no usable GPU: " + probe.unavailableReason());
            System.exit(3);
        }
        System.out.println(run(spec, reps, warmup, check, device, !mmaSync).toJson());
    }

    /** One benchmark result: the median and every timed pass, TFLOP/s over unmasked pairs, the spot check. */
    public record Result(AttentionSpec spec, String gpu, String kernel, String noWgmma, int splitKeys, double medianMs,
                         double tflops, double maxErr, double[] allMs) {
        public String toJson() {
            return String.format(Locale.ROOT,
                    "{\"kernel\":\"cuda\",\"cuda_kernel\":\"%s\",\"no_wgmma\":\"%s\",\"precision\":\"%s\",\"gpu\":\"%s\",\"seq\":%d,\"kv_seq\":%d,\"heads\":%d,\"kv_heads\":%d,\"dim\":%d,\"v_dim\":%d,"
                            + "\"causal\":%b,\"split_keys\":%d,\"ms\":%.4f,\"tflops\":%.2f,\"max_err_rel_maxv\":%.3e,\"all_ms\":%s}",
                    kernel, noWgmma == null ? "" : noWgmma.replace("\"", "'"), spec.precision().id(), gpu, spec.sq(), spec.sk(), spec.hq(), spec.hkv(), spec.d(), spec.dv(), spec.causal(), splitKeys, medianMs,
                    tflops, maxErr, Arrays.toString(allMs).replace(" ", ""));
        }
    }

    /**
     * Times {@code reps} whole-problem passes after {@code warmup} on GPU {@code device} and checks
     * {@code check} sampled rows of the last kv group against float64.
     */
    public static Result run(AttentionSpec spec, int reps, int warmup, int check, int device) {
        return run(spec, reps, warmup, check, device, true);
    }

    /** {@link #run(AttentionSpec, int, int, int, int)}, on the mma.sync tensor-core kernels even on a Hopper unless {@code wgmma}. */
    public static Result run(AttentionSpec spec, int reps, int warmup, int check, int device, boolean wgmma) {
        CudaProbe probe = CudaProbe.get();
        if (!probe.usable()) throw new IllegalStateException("no usable GPU: " + probe.unavailableReason());
        SplittableRandom rnd = new SplittableRandom(42);
        float[] q = gaussian(rnd, (long) spec.sq() * spec.hq() * spec.d());
        float[] k = gaussian(rnd, (long) spec.sk() * spec.hkv() * spec.d());
        float[] v = gaussian(rnd, (long) spec.sk() * spec.hkv() * spec.dv());
        float[] scaled = q.clone();
        float f = spec.queryFactor();
        for (int i = 0; i < scaled.length; i++) scaled[i] *= f;
        double[] ms = new double[reps];
        double maxErr = 0;
        String kernel = "", noWgmma = null;
        List<CudaAttention> groups = new ArrayList<>();
        try {
            for (int g = 0; g < spec.hkv(); g++) {
                CudaAttention e = wgmma ? new CudaAttention(spec, device) : CudaAttention.withoutWgmma(spec, device);
                groups.add(e);
                kernel = e.kernelName();
                noWgmma = e.device().noWgmmaReason();
                e.prepareWhole(scaled, k, v, g);
            }
            CUevent start = new CUevent(), stop = new CUevent();
            Cuda.check(JCudaDriver.cuEventCreate(start, 0), "cuEventCreate");
            Cuda.check(JCudaDriver.cuEventCreate(stop, 0), "cuEventCreate");
            for (int r = -warmup; r < reps; r++) {
                // events on the legacy default stream bracket the groups' blocking streams
                Cuda.check(JCudaDriver.cuEventRecord(start, null), "cuEventRecord");
                for (CudaAttention e : groups) e.launchWhole();
                Cuda.check(JCudaDriver.cuEventRecord(stop, null), "cuEventRecord");
                Cuda.check(JCudaDriver.cuEventSynchronize(stop), "cuEventSynchronize");
                float[] t = new float[1];
                Cuda.check(JCudaDriver.cuEventElapsedTime(t, start, stop), "cuEventElapsedTime");
                if (r >= 0) ms[r] = t[0];
            }
            JCudaDriver.cuEventDestroy(start);
            JCudaDriver.cuEventDestroy(stop);
            if (check > 0) {
                int hg = spec.groupSize(), g = spec.hkv() - 1, dv = spec.dv();
                float[] out = new float[Math.toIntExact((long) spec.sq() * hg * dv)];
                groups.get(g).lastOutput(out);
                double[] ref = new double[dv];
                double maxV = 0;
                for (float x : v) maxV = Math.max(maxV, Math.abs(x));
                for (int s = 0; s < check; s++) {
                    int i = (int) ((long) (spec.sq() - 1) * s / Math.max(1, check - 1));
                    int hh = s % hg;
                    Float64Reference.row(spec, q, k, v, i, g * hg + hh, ref);
                    for (int c = 0; c < dv; c++) {
                        maxErr = Math.max(maxErr, Math.abs(out[(i * hg + hh) * dv + c] - ref[c]) / maxV);
                    }
                }
            }
        } finally {
            for (CudaAttention e : groups) e.close();
        }
        double[] sorted = ms.clone();
        Arrays.sort(sorted);
        double median = sorted[sorted.length / 2];
        return new Result(spec, probe.deviceName(), kernel, noWgmma, CudaAttention.splitKeys(spec), median,
                spec.flops() / (median / 1e3) / 1e12, maxErr, ms);
    }


    private static float[] gaussian(SplittableRandom rnd, long n) {
        float[] a = new float[Math.toIntExact(n)];
        for (int i = 0; i < a.length; i++) {
            double u1 = rnd.nextDouble(), u2 = rnd.nextDouble();
            a[i] = (float) (Math.sqrt(-2 * Math.log(1 - u1)) * Math.cos(2 * Math.PI * u2));
        }
        return a;
    }
}
