package io.longattn.kernels.cuda;

import io.longattn.kernels.AttentionKernel;
import io.longattn.kernels.AttentionSpec;
import io.longattn.kernels.KvBlock;
import io.longattn.kernels.QueryChunk;
import io.longattn.kernels.SoftmaxState;

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

    @Override
    public void close() {
        engine.close();
    }
}
