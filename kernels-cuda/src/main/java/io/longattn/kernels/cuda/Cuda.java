package io.longattn.kernels.cuda;

import jcuda.driver.CUresult;

import java.util.function.Supplier;

/** Return-code checks for JCuda's driver calls (exceptions stay off: every call is checked here). */
final class Cuda {
    private Cuda() {
    }

    static void check(int result, String call) {
        if (result != CUresult.CUDA_SUCCESS) throw new CudaException(call, CUresult.stringFor(result), null);
    }

    static void check(int result, String call, Supplier<String> detail) {
        if (result != CUresult.CUDA_SUCCESS) throw new CudaException(call, CUresult.stringFor(result), detail.get());
    }
}
