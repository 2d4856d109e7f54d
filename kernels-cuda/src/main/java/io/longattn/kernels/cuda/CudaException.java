package io.longattn.kernels.cuda;

/**
 * A failed CUDA driver call: names the call, the driver's error and what was being done, in one line.
 * A task that gets one fails and Spark retries it (on another executor's GPU when this one is lost).
 */
public final class CudaException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final String call;
    private final String error;

    public CudaException(String call, String error, String detail) {
        super("CUDA call " + call + " failed: " + error + (detail == null || detail.isEmpty() ? "" : " (" + detail + ")"));
        this.call = call;
        this.error = error;
    }

    /** The driver API function, e.g. cuMemAlloc. */
    public String call() {
        return call;
    }

    /** The driver's error name, e.g. CUDA_ERROR_OUT_OF_MEMORY. */
    public String error() {
        return error;
    }

    public boolean outOfMemory() {
        return "CUDA_ERROR_OUT_OF_MEMORY".equals(error);
    }
}
