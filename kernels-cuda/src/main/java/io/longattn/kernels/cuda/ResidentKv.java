package io.longattn.kernels.cuda;

import io.longattn.kernels.AttentionSpec;
import io.longattn.kernels.KvBlock;
import io.longattn.kernels.KvSource;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * K and V of one kv head group held in one GPU's memory for the executor: uploaded once per K/V
 * ({@link KvSource#residentKey()}: the files of the stream strategy, the broadcast of the broadcast one)
 * and reused by every unit of every task on that GPU.
 * Entries no task uses are evicted, oldest first, when a new one needs the room.
 */
final class ResidentKv {
    /** Keys copied per host-to-device transfer while uploading (a bounded host staging block). */
    static final int UPLOAD_KEYS = 1 << 15;
    /** Share of the GPU's free memory resident K/V may take; the rest is for the units' buffers. */
    static final double MEMORY_SHARE = 0.8;

    private static final Map<CudaDevice, Cache> CACHES = new IdentityHashMap<>();

    final DeviceBuffer k;
    final DeviceBuffer v;
    final int keys;
    /** Read once, while uploading; dropped after so a finished task's source is not kept alive. */
    private KvSource source;
    private final Object key;
    private final int group;
    private int users;
    private long lastUse;

    private ResidentKv(KvSource source, int group, int keys) {
        this.source = source;
        this.key = source.residentKey();
        this.group = group;
        this.keys = keys;
        this.k = new DeviceBuffer("resident K of kv group " + group);
        this.v = new DeviceBuffer("resident V of kv group " + group);
    }

    /** Bytes the K/V of one group take on the GPU. */
    static long bytes(AttentionSpec spec) {
        return 4L * spec.sk() * (spec.d() + spec.dv());
    }

    /**
     * The resident K/V of (source, group), uploading it if needed; null when it does not fit the GPU
     * even after evicting idle entries (the caller then streams key chunks). Pair with {@link #release}.
     */
    static ResidentKv acquire(CudaDevice dev, KvSource source, int group, AttentionSpec spec) {
        Cache c;
        synchronized (CACHES) {
            c = CACHES.computeIfAbsent(dev, d -> new Cache());
        }
        return c.acquire(dev, source, group, spec);
    }

    void release() {
        synchronized (this) {
            users--;
            lastUse = System.nanoTime();
        }
    }

    private static final class Cache {
        private final List<ResidentKv> entries = new ArrayList<>();

        synchronized ResidentKv acquire(CudaDevice dev, KvSource source, int group, AttentionSpec spec) {
            for (ResidentKv e : entries) {
                if (e.group == group && e.key.equals(source.residentKey())) {
                    synchronized (e) {
                        e.users++;
                    }
                    return e;
                }
            }
            long need = bytes(spec);
            while (need > MEMORY_SHARE * dev.memory()[0]) {
                ResidentKv idle = null;
                for (ResidentKv e : entries) {
                    synchronized (e) {
                        if (e.users == 0 && (idle == null || e.lastUse < idle.lastUse)) idle = e;
                    }
                }
                if (idle == null) return null;
                entries.remove(idle);
                idle.k.close();
                idle.v.close();
            }
            ResidentKv e = new ResidentKv(source, group, spec.sk());
            try {
                e.upload(spec);
            } catch (RuntimeException ex) {
                e.k.close();
                e.v.close();
                throw ex;
            }
            e.users = 1;
            entries.add(e);
            return e;
        }
    }

    private void upload(AttentionSpec spec) {
        int d = spec.d(), dv = spec.dv();
        k.reserve((long) keys * d);
        v.reserve((long) keys * dv);
        KvBlock staging = new KvBlock(Math.min(UPLOAD_KEYS, keys), d, dv);
        for (int k0 = 0; k0 < keys; k0 += staging.capacity) {
            int n = Math.min(staging.capacity, keys - k0);
            source.load(group, k0, n, staging);
            k.upload(staging.k, 0, (long) k0 * d, n * d);
            v.upload(staging.v, 0, (long) k0 * dv, n * dv);
        }
        source = null;
    }
}
