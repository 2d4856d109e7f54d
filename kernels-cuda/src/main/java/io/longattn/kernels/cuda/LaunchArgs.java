package io.longattn.kernels.cuda;

import jcuda.NativePointerObject;
import jcuda.Pointer;
import jcuda.driver.CUdeviceptr;

import java.util.ArrayList;
import java.util.List;

/**
 * The parameter block of one cuLaunchKernel call, built in the kernel signature's order. Each value is
 * recorded with its C type and name, so a test can hold the order against attention.cu's signature.
 */
final class LaunchArgs {
    private final List<NativePointerObject> values = new ArrayList<>();
    private final List<String> signature = new ArrayList<>();

    LaunchArgs ptr(String name, Pointer device) {
        values.add(Pointer.to(device == null ? new CUdeviceptr() : device));
        signature.add("float* " + name);
        return this;
    }

    LaunchArgs i32(String name, int v) {
        values.add(Pointer.to(new int[]{v}));
        signature.add("int " + name);
        return this;
    }

    LaunchArgs i64(String name, long v) {
        values.add(Pointer.to(new long[]{v}));
        signature.add("long long " + name);
        return this;
    }

    LaunchArgs f32(String name, float v) {
        values.add(Pointer.to(new float[]{v}));
        signature.add("float " + name);
        return this;
    }

    /** "type name" per parameter, in order (pointers as float*). */
    List<String> signature() {
        return List.copyOf(signature);
    }

    Pointer pack() {
        return Pointer.to(values.toArray(new NativePointerObject[0]));
    }
}
