package io.longattn.kernels.cuda;

import io.longattn.kernels.AttentionKernel;
import io.longattn.kernels.AttentionSpec;
import io.longattn.kernels.KvBlock;
import io.longattn.kernels.QueryChunk;
import io.longattn.kernels.SoftmaxState;
import io.longattn.kernels.KvSource;
import io.longattn.kernels.UnitInput;
import io.longattn.kernels.UnitRunner;
import io.longattn.kernels.UnitSummary;

/**
 * The CUDA kernel as an {@link AttentionKernel}: whole units run as single launches against K/V resident
 * on the GPU ({@link CudaAttention}); the block-at-a-time entry point works too but pays a host round trip
 * per kv block. One instance per task thread.
 */
public final class CudaKernel implements AttentionKernel {
    private final CudaAttention engine;

    public CudaKernel(AttentionSpec spec, int deviceOrdinal) {
        this.engine = new CudaAttention(spec, deviceOrdinal);
    }

    @Override
    public String name() {
        return "cuda";
    }

    public CudaAttention engine() {
        return engine;
    }

    @Override
    public void accumulate(QueryChunk q, KvBlock kv, SoftmaxState state) {
        engine.accumulate(q, kv, state);
    }

    /**
     * One launch for the whole unit against K/V resident on the GPU. The GPU walks keys in its own tiles
     * (64 keys, aligned from key 0), not the host's kv block size: the order is still fixed per spec, so
     * the bits never depend on partitions, executors or retries (they differ from the CPU kernels' bits).
     * The returned summary stays on the GPU until it is finished or read.
     */
    @Override
    public UnitSummary runUnit(UnitInput unit, KvSource source, UnitRunner host) {
        return engine.runUnit(unit.query(), unit.group(), source, unit.kvFrom(), unit.kvTo());
    }

    @Override
    public double deviceSeconds() {
        return engine.deviceSeconds();
    }

    @Override
    public void close() {
        engine.close();
    }
}
