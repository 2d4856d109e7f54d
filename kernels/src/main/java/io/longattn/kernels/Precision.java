package io.longattn.kernels;

import java.util.Locale;

/**
 * The arithmetic of the two matrix products of attention (Q K^T and P V). The softmax, its running max and
 * sum and the accumulators are float32 in every precision.
 */
public enum Precision {
    /** Exact float32 products: every kernel computes it. */
    FP32,
    /** float32 inputs, products on TF32 tensor cores (10-bit mantissas): about 3e-4 relative error. */
    TF32,
    /** Inputs and P rounded to float16, float32 accumulation. */
    FP16,
    /** Inputs and P rounded to bfloat16 (8-bit mantissas), float32 accumulation: 1e-3 to 1e-2 relative. */
    BF16;

    /** The name flags and files use: fp32, tf32, fp16, bf16. */
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }
}
