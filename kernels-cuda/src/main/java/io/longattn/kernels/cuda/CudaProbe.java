package io.longattn.kernels.cuda;

import jcuda.driver.CUdevice;
import jcuda.driver.CUdevice_attribute;
import jcuda.driver.CUresult;
import jcuda.driver.JCudaDriver;

/**
 * Whether the CUDA kernel can run in this JVM, and if not why (as spark-rapids explains its fallbacks):
 * no fatbin in this build, JCuda's native library or the NVIDIA driver missing, no device visible, or a
 * device older than the fatbin's oldest target. Probed once per JVM; tests build probes of their own.
 */
public record CudaProbe(String unavailableReason, int devices, String deviceName, int major, int minor,
                        int multiprocessors, long memoryBytes) {

    private static volatile CudaProbe cached;

    public boolean usable() {
        return unavailableReason == null;
    }

    static CudaProbe unavailable(String reason) {
        return new CudaProbe(reason, 0, "", 0, 0, 0, 0);
    }

    /** The probe of this JVM (device 0 describes the machine; every visible device must pass). */
    public static CudaProbe get() {
        CudaProbe p = cached;
        if (p == null) {
            synchronized (CudaProbe.class) {
                if (cached == null) cached = probe();
                p = cached;
            }
        }
        return p;
    }

    private static CudaProbe probe() {
        if (Fatbin.load().isEmpty()) {
            return unavailable("this build has no CUDA fatbin (nvcc was not on the PATH when LongAttn was built)");
        }
        try {
            JCudaDriver.setExceptionsEnabled(false);
        } catch (LinkageError e) {
            return unavailable("JCuda's driver library did not load (" + firstLine(e) + "); is the NVIDIA driver (libcuda.so.1) installed?");
        }
        int r;
        try {
            r = JCudaDriver.cuInit(0);
        } catch (LinkageError e) {
            return unavailable("the NVIDIA driver library did not load (" + firstLine(e) + ")");
        }
        if (r == CUresult.CUDA_ERROR_NO_DEVICE) {
            String visible = System.getenv("CUDA_VISIBLE_DEVICES");
            return unavailable("no CUDA device is visible" + (visible != null ? " (CUDA_VISIBLE_DEVICES=" + visible + ")" : ""));
        }
        if (r != CUresult.CUDA_SUCCESS) return unavailable("cuInit failed: " + CUresult.stringFor(r));
        int[] count = new int[1];
        r = JCudaDriver.cuDeviceGetCount(count);
        if (r != CUresult.CUDA_SUCCESS) return unavailable("cuDeviceGetCount failed: " + CUresult.stringFor(r));
        if (count[0] == 0) return unavailable("no CUDA device is visible");
        CUdevice dev = new CUdevice();
        JCudaDriver.cuDeviceGet(dev, 0);
        int major = attribute(dev, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR);
        int minor = attribute(dev, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR);
        int sms = attribute(dev, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT);
        byte[] name = new byte[256];
        JCudaDriver.cuDeviceGetName(name, name.length, dev);
        long[] mem = new long[1];
        JCudaDriver.cuDeviceTotalMem(mem, dev);
        String devName = new String(name, java.nio.charset.StandardCharsets.US_ASCII).trim().replace("\0", "");
        if (major < Fatbin.MIN_MAJOR) {
            return new CudaProbe("GPU 0 (" + devName + ") has compute capability " + major + "." + minor
                    + ", expected " + Fatbin.MIN_MAJOR + ".0 or newer (the fatbin has sm_80, sm_90 and compute_90 PTX)",
                    count[0], devName, major, minor, sms, mem[0]);
        }
        return new CudaProbe(null, count[0], devName, major, minor, sms, mem[0]);
    }

    static int attribute(CUdevice dev, int attr) {
        int[] v = new int[1];
        Cuda.check(JCudaDriver.cuDeviceGetAttribute(v, attr, dev), "cuDeviceGetAttribute");
        return v[0];
    }

    private static String firstLine(Throwable e) {
        String m = String.valueOf(e.getMessage());
        int nl = m.indexOf('\n');
        return nl < 0 ? m : m.substring(0, nl);
    }

    public String describe() {
        return usable() ? deviceName + " (compute " + major + "." + minor + ", " + multiprocessors + " SMs, "
                + (memoryBytes >> 20) + " MiB), " + devices + " visible" : unavailableReason;
    }
}
