package io.longattn.kernels.cuda;

import io.longattn.kernels.AttentionKernel;
import io.longattn.kernels.AttentionSpec;
import io.longattn.kernels.KernelProvider;
import io.longattn.kernels.KernelSelectionException;
import io.longattn.kernels.KernelTraits;
import io.longattn.kernels.Precision;

import java.util.EnumSet;
import java.util.List;

/**
 * The CUDA kernel's provider: usable when this build has the fatbin, JCuda's driver binding loads, the
 * NVIDIA driver answers and a GPU of compute capability 8.0 or newer is visible; otherwise it says which
 * of these failed. {@code cuda:N} picks GPU N (the address Spark assigned a task); plain {@code cuda}
 * is GPU 0, which is the first of CUDA_VISIBLE_DEVICES. It computes every {@link Precision}: fp32 on the
 * exact kernel, tf32, fp16 and bf16 on the tensor-core kernels (compute capability 8.0 and newer).
 */
public final class CudaProvider implements KernelProvider {
    /**
     * Query rows (tokens x heads of a kv group) one unit should carry: a launch must fill the GPU
     * (132 SMs x 2-3 blocks of 32-128 rows), and with causal masks the rows' costs differ, so a unit of
     * 131,072 rows gives each SM several waves of blocks of mixed weight. Each launch ends in a partly idle
     * last wave: the 2^20-token causal bf16 job's kernel time on an H200 was 0.538 s in 32 units of 32,768
     * rows and 0.519 s in 8 of 131,072 (the bare kernel, one launch: 0.502 s).
     */
    public static final int ROWS_PER_CALL = 131072;

    private static final KernelTraits TRAITS = new KernelTraits(ROWS_PER_CALL,
            new KernelTraits.Scratch("unit buffers and resident K/V on the GPU",
                    "0", (qc, kc, d, dv, hg, t) -> 0L),
            KernelTraits.Memory.DEVICE, false, EnumSet.allOf(Precision.class));

    private final int device;
    private final CudaProbe probe;

    public CudaProvider() {
        this(0, CudaProbe.get());
    }

    CudaProvider(int device, CudaProbe probe) {
        this.device = device;
        this.probe = probe;
    }

    @Override
    public String name() {
        return "cuda";
    }

    @Override
    public Availability availability() {
        if (!probe.usable()) return Availability.unusable(probe.unavailableReason());
        if (device >= probe.devices()) {
            return Availability.unusable("GPU " + device + " asked for, " + probe.devices() + " visible");
        }
        return Availability.usable("GPU " + device + ": " + probe.describe());
    }

    @Override
    public KernelTraits traits() {
        return TRAITS;
    }

    @Override
    public AttentionKernel create(AttentionSpec spec, int threads) {
        if (threads != 1) throw new IllegalArgumentException("the CUDA kernel has no host threads of its own, expected threads = 1");
        String unsupported = CudaAttention.unsupported(spec);
        if (unsupported != null) {
            throw new KernelSelectionException(KernelSelectionException.Problem.UNAVAILABLE, name(), unsupported, List.of("simd", "scalar"));
        }
        return new CudaKernel(spec, device);
    }

    @Override
    public String describe() {
        return probe.usable() ? "GPU " + device + ": " + probe.describe() : "";
    }

    /** {@code cuda:N}: GPU N of this process (a Spark task's assigned GPU address). */
    @Override
    public KernelProvider withOption(String option) {
        try {
            int n = Integer.parseInt(option.trim());
            if (n >= 0) return new CudaProvider(n, probe);
        } catch (NumberFormatException e) {
            // fall through
        }
        throw new KernelSelectionException(KernelSelectionException.Problem.BAD_OPTION, name() + ":" + option,
                "'" + option + "' is not a GPU number", List.of("cuda", "cuda:0", "cuda:1"));
    }
}
