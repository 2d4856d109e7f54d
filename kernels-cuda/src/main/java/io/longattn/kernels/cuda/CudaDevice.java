package io.longattn.kernels.cuda;

import jcuda.driver.CUcontext;
import jcuda.driver.CUdevice;
import jcuda.driver.CUdevice_attribute;
import jcuda.driver.CUfunction;
import jcuda.driver.CUfunction_attribute;
import jcuda.driver.CUmodule;
import jcuda.driver.CUresult;
import jcuda.driver.JCudaDriver;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One GPU of this JVM: its primary context (retained once, shared by every task and thread of the
 * executor, released when the JVM exits) and the fatbin module loaded into it, with the sm_90a cubin's beside
 * it on a compute capability 9.0 GPU.
 */
public final class CudaDevice {
    private static final Map<Integer, CudaDevice> DEVICES = new ConcurrentHashMap<>();

    private final int ordinal;
    private final CUdevice device = new CUdevice();
    private final CUcontext context = new CUcontext();
    private final CUmodule module = new CUmodule();
    /** The sm_90a cubin's module on a compute capability 9.0 GPU, else null. */
    private final CUmodule hopperModule;
    /** Why the wgmma kernels do not run on this GPU (not a Hopper, no cubin, or the driver refused it). */
    private final String noHopperReason;
    private final Map<String, CUfunction> functions = new HashMap<>();
    private final int multiprocessors;
    private final int maxSharedPerBlock;
    private final String name;

    private CudaDevice(int ordinal) {
        this.ordinal = ordinal;
        CudaProbe probe = CudaProbe.get();
        if (!probe.usable()) throw new CudaException("cuInit", "unavailable", probe.unavailableReason());
        if (ordinal < 0 || ordinal >= probe.devices()) {
            throw new CudaException("cuDeviceGet", "CUDA_ERROR_INVALID_DEVICE",
                    "GPU " + ordinal + " asked for, " + probe.devices() + " visible");
        }
        Cuda.check(JCudaDriver.cuDeviceGet(device, ordinal), "cuDeviceGet", () -> "GPU " + ordinal);
        Cuda.check(JCudaDriver.cuDevicePrimaryCtxRetain(context, device), "cuDevicePrimaryCtxRetain", () -> "GPU " + ordinal);
        bind();
        byte[] image = Fatbin.load().orElseThrow();
        Cuda.check(JCudaDriver.cuModuleLoadData(module, image), "cuModuleLoadData",
                () -> "the fatbin has no code for GPU " + ordinal + " (sm_80, sm_90, compute_90 PTX)");
        int major = CudaProbe.attribute(device, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR);
        int minor = CudaProbe.attribute(device, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR);
        byte[] hopper = major == 9 && minor == 0 ? Fatbin.loadHopper().orElse(null) : null;
        if (hopper == null) {
            hopperModule = null;
            noHopperReason = major == 9 && minor == 0 ? "this jar has no " + Fatbin.HOPPER_RESOURCE
                    : "compute capability " + major + "." + minor + " (wgmma needs 9.0)";
        } else {
            // optional: a driver that refuses the cubin leaves fp16 and bf16 on the fatbin's mma.sync kernels
            CUmodule m = new CUmodule();
            int rc = JCudaDriver.cuModuleLoadData(m, hopper);
            hopperModule = rc == CUresult.CUDA_SUCCESS ? m : null;
            noHopperReason = hopperModule != null ? null
                    : "the driver refused " + Fatbin.HOPPER_RESOURCE + " (" + CUresult.stringFor(rc) + ")";
        }
        multiprocessors = CudaProbe.attribute(device, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT);
        maxSharedPerBlock = CudaProbe.attribute(device, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN);
        byte[] n = new byte[256];
        JCudaDriver.cuDeviceGetName(n, n.length, device);
        name = new String(n, java.nio.charset.StandardCharsets.US_ASCII).replace("\0", "").trim();
        Runtime.getRuntime().addShutdownHook(new Thread(this::release, "longattn-cuda-release-" + ordinal));
    }

    /** The device for a GPU ordinal (as Spark's resource addresses or CUDA_VISIBLE_DEVICES number them). */
    public static CudaDevice get(int ordinal) {
        return DEVICES.computeIfAbsent(ordinal, CudaDevice::new);
    }

    /** Makes this device's context current on the calling thread (cheap; every entry point calls it). */
    void bind() {
        Cuda.check(JCudaDriver.cuCtxSetCurrent(context), "cuCtxSetCurrent", () -> "GPU " + ordinal);
    }

    /** A kernel of the fatbin, with its dynamic shared memory limit raised to what it asks for. */
    synchronized CUfunction function(String fn, int sharedBytes) {
        CUfunction f = functions.get(fn);
        if (f == null) {
            f = new CUfunction();
            CUfunction ff = f;
            CUmodule from = fn.startsWith(Fatbin.HOPPER_PREFIX) ? hopperModule : module;
            if (from == null) {
                throw new CudaException("cuModuleGetFunction", "CUDA_ERROR_NOT_FOUND", fn + " runs only on compute capability 9.0 with "
                        + Fatbin.HOPPER_RESOURCE + " in the jar; GPU " + ordinal + " (" + name + ") has no such module");
            }
            Cuda.check(JCudaDriver.cuModuleGetFunction(ff, from, fn), "cuModuleGetFunction", () -> fn);
            if (sharedBytes > 48 * 1024) {
                if (sharedBytes > maxSharedPerBlock) {
                    throw new CudaException("cuFuncSetAttribute", "CUDA_ERROR_INVALID_VALUE", fn + " needs " + sharedBytes
                            + " bytes of shared memory per block, GPU " + ordinal + " allows " + maxSharedPerBlock);
                }
                Cuda.check(JCudaDriver.cuFuncSetAttribute(ff, CUfunction_attribute.CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES,
                        sharedBytes), "cuFuncSetAttribute", () -> fn + ", " + sharedBytes + " bytes of shared memory");
            }
            functions.put(fn, f);
        }
        return f;
    }

    /** Whether the sm_90a wgmma kernels are loaded: a compute capability 9.0 GPU (H100, H200) and a jar built with them. */
    boolean hopper() {
        return noHopperReason == null;
    }

    /** Why fp16 and bf16 run the mma.sync kernels on this GPU, or null where the wgmma kernels run. */
    public String noWgmmaReason() {
        return noHopperReason;
    }

    /** Free and total device memory now, in bytes. */
    long[] memory() {
        bind();
        long[] free = new long[1], total = new long[1];
        Cuda.check(JCudaDriver.cuMemGetInfo(free, total), "cuMemGetInfo");
        return new long[]{free[0], total[0]};
    }

    public int ordinal() {
        return ordinal;
    }

    public int multiprocessors() {
        return multiprocessors;
    }

    public String name() {
        return name;
    }

    private synchronized void release() {
        try {
            JCudaDriver.cuCtxSetCurrent(context);
            JCudaDriver.cuModuleUnload(module);
            if (hopperModule != null) JCudaDriver.cuModuleUnload(hopperModule);
            JCudaDriver.cuDevicePrimaryCtxRelease(device);
        } catch (Throwable ignored) {
            // the JVM is exiting; the driver frees the context with the process anyway
        }
    }
}
