package io.longattn.kernels.cuda;

import jcuda.Pointer;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.JCudaDriver;

/** A float buffer in device memory that grows on demand (never shrinks until closed). */
final class DeviceBuffer implements AutoCloseable {
    private final String what;
    private CUdeviceptr ptr = new CUdeviceptr();
    private long capacityFloats;

    DeviceBuffer(String what) {
        this.what = what;
    }

    /** Ensures room for n floats; the contents are lost when it grows. */
    DeviceBuffer reserve(long n) {
        if (n <= capacityFloats) return this;
        close();
        long bytes = Math.max(4, n * 4);
        CUdeviceptr p = new CUdeviceptr();
        Cuda.check(JCudaDriver.cuMemAlloc(p, bytes), "cuMemAlloc", () -> what + ": " + bytes + " bytes; lower "
                + "spark.longattn.qChunk (query rows per unit) or give the task more of the GPU");
        ptr = p;
        capacityFloats = n;
        return this;
    }

    CUdeviceptr ptr() {
        return ptr;
    }

    /** The device address of float index i. */
    Pointer at(long i) {
        return ptr.withByteOffset(i * 4);
    }

    /**
     * Copies n floats in through the legacy default stream, which orders it before later launches on
     * the blocking streams the kernels use (cuMemcpyHtoDAsync from a Java array could outlive the array's pinning).
     */
    void upload(float[] src, int srcOffset, long dstIndex, int n) {
        if (n == 0) return;
        Cuda.check(JCudaDriver.cuMemcpyHtoD(ptr.withByteOffset(dstIndex * 4), Pointer.to(src).withByteOffset(srcOffset * 4L), n * 4L),
                "cuMemcpyHtoD", () -> what + ": " + n + " floats");
    }

    /** Copies n floats out; waits for earlier work on blocking streams (legacy default stream semantics). */
    void download(long srcIndex, float[] dst, int dstOffset, int n) {
        if (n == 0) return;
        Cuda.check(JCudaDriver.cuMemcpyDtoH(Pointer.to(dst).withByteOffset(dstOffset * 4L), ptr.withByteOffset(srcIndex * 4), n * 4L),
                "cuMemcpyDtoH", () -> what + ": " + n + " floats");
    }

    long capacityFloats() {
        return capacityFloats;
    }

    @Override
    public void close() {
        if (capacityFloats > 0) {
            JCudaDriver.cuMemFree(ptr);
            ptr = new CUdeviceptr();
            capacityFloats = 0;
        }
    }
}
