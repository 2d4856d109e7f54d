package io.longattn.kernels.cuda;

import io.longattn.kernels.AttentionSpec;
import io.longattn.kernels.KvBlock;
import io.longattn.kernels.KvSource;
import io.longattn.kernels.Precision;
import jcuda.Pointer;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * K and V of one kv head group held in one GPU's memory for the executor, in the operand layout of the
 * spec's precision: float32 rows for fp32; for tf32, fp16 and bf16 already packed for the tensor cores
 * ([keys][64 or 128], rounded, zero-padded), so no unit converts K/V again. Uploaded (and packed) once per
 * (K/V, kv group, precision) ({@link KvSource#residentKey()}: the files of the stream strategy, the
 * broadcast of the broadcast one) and reused by every unit of every task on that GPU. Entries no task
 * uses are evicted, oldest first, when a new one needs the room.
 */
final class ResidentKv {
    /** Keys copied per host-to-device transfer while uploading (a bounded host staging block). */
    static final int UPLOAD_KEYS = 1 << 15;
    /** Share of the GPU's free memory resident K/V may take; the rest is for the units' buffers. */
    static final double MEMORY_SHARE = 0.8;
    /**
     * The most bytes of resident K/V per GPU on top of the free-memory share: unlimited, except in tests
     * that make kv groups compete for room (eviction, and the streamed path when one group cannot fit).
     */
    static volatile long capBytes = Long.MAX_VALUE;

    /** Converts float32 K or V rows on the GPU into the tensor-core operand layout, and waits for it. */
    @FunctionalInterface
    interface Packer {
        void pack(Pointer src, int width, Pointer dst, int keys);
    }

    private static final Map<CudaDevice, Cache> CACHES = new IdentityHashMap<>();

    final DeviceBuffer k;
    final DeviceBuffer v;
    final int keys;
    /** Read once, while uploading; dropped after so a finished task's source is not kept alive. */
    private KvSource source;
    private final Object key;
    private final int group;
    private final Precision precision;
    private final long bytes;
    private int users;
    private long lastUse;

    private ResidentKv(KvSource source, int group, AttentionSpec spec) {
        this.source = source;
        this.key = source.residentKey();
        this.group = group;
        this.precision = spec.precision();
        this.keys = spec.sk();
        this.bytes = bytes(spec);
        this.k = new DeviceBuffer("resident K of kv group " + group);
        this.v = new DeviceBuffer("resident V of kv group " + group);
    }

    /** Bytes the K/V of one group take on the GPU: float32 rows, or both packed to the tensor-core width. */
    static long bytes(AttentionSpec spec) {
        int width = CudaAttention.tcWidth(spec);
        if (width == 0) return 4L * spec.sk() * (spec.d() + spec.dv());
        return 2L * spec.sk() * width * CudaAttention.tcElementBytes(spec.precision());
    }

    /**
     * The resident K/V of (source, group, the spec's precision), uploading it if needed (packing it with
     * {@code packer} for the tensor-core precisions); null when it does not fit the GPU even after evicting
     * idle entries (the caller then streams key chunks). Pair with {@link #release}.
     */
    static ResidentKv acquire(CudaDevice dev, KvSource source, int group, AttentionSpec spec, Packer packer) {
        Cache c;
        synchronized (CACHES) {
            c = CACHES.computeIfAbsent(dev, d -> new Cache());
        }
        return c.acquire(dev, source, group, spec, packer);
    }

    void release() {
        synchronized (this) {
            users--;
            lastUse = System.nanoTime();
        }
    }

    private void free() {
        k.close();
        v.close();
    }

    private static final class Cache {
        private final List<ResidentKv> entries = new ArrayList<>();

        synchronized ResidentKv acquire(CudaDevice dev, KvSource source, int group, AttentionSpec spec, Packer packer) {
            for (ResidentKv e : entries) {
                if (e.group == group && e.precision == spec.precision() && e.key.equals(source.residentKey())) {
                    synchronized (e) {
                        e.users++;
                    }
                    return e;
                }
            }
            long need = bytes(spec);
            while (need > MEMORY_SHARE * dev.memory()[0] || residentBytes() + need > capBytes) {
                ResidentKv idle = null;
                for (ResidentKv e : entries) {
                    synchronized (e) {
                        if (e.users == 0 && (idle == null || e.lastUse < idle.lastUse)) idle = e;
                    }
                }
                if (idle == null) return null;
                entries.remove(idle);
                idle.free();
            }
            ResidentKv e = new ResidentKv(source, group, spec);
            try {
                e.upload(spec, packer);
            } catch (RuntimeException ex) {
                e.free();
                throw ex;
            }
            e.users = 1;
            entries.add(e);
            return e;
        }

        private long residentBytes() {
            long sum = 0;
            for (ResidentKv e : entries) sum += e.bytes;
            return sum;
        }
    }

    private void upload(AttentionSpec spec, Packer packer) {
        int d = spec.d(), dv = spec.dv(), width = CudaAttention.tcWidth(spec);
        KvBlock staging = new KvBlock(Math.min(UPLOAD_KEYS, keys), d, dv);
        if (width == 0) {
            k.reserve((long) keys * d);
            v.reserve((long) keys * dv);
            for (int k0 = 0; k0 < keys; k0 += staging.capacity) {
                int n = Math.min(staging.capacity, keys - k0);
                source.load(group, k0, n, staging);
                k.upload(staging.k, 0, (long) k0 * d, n * d);
                v.upload(staging.v, 0, (long) k0 * dv, n * dv);
            }
        } else {
            // float32 rows go up a staging block at a time and are packed into place: the resident copy is
            // the operand type only (half the bytes of float32 for fp16 and bf16)
            int eb = CudaAttention.tcElementBytes(spec.precision());
            long rowBytes = (long) width * eb;
            k.reserve(Math.max(1, keys * rowBytes / 4));
            v.reserve(Math.max(1, keys * rowBytes / 4));
            try (DeviceBuffer kRows = new DeviceBuffer("K rows being packed"); DeviceBuffer vRows = new DeviceBuffer("V rows being packed")) {
                kRows.reserve((long) staging.capacity * d);
                vRows.reserve((long) staging.capacity * dv);
                for (int k0 = 0; k0 < keys; k0 += staging.capacity) {
                    int n = Math.min(staging.capacity, keys - k0);
                    source.load(group, k0, n, staging);
                    kRows.upload(staging.k, 0, 0, n * d);
                    vRows.upload(staging.v, 0, 0, n * dv);
                    packer.pack(kRows.ptr(), d, k.ptr().withByteOffset(k0 * rowBytes), n);
                    packer.pack(vRows.ptr(), dv, v.ptr().withByteOffset(k0 * rowBytes), n);
                }
            }
        }
        source = null;
    }
}
