package io.longattn.kernels;

/** Where a unit's kv blocks come from: memory (broadcast), files (stream), or a test array. */
public interface KvSource {
    /** Fills dst with keys/values [k0, k0 + length) of kv head group. */
    void load(int group, int k0, int length, KvBlock dst);

    /**
     * What identifies the K/V this source reads, for kernels that keep K/V resident in device memory
     * across units and tasks: two sources with equal keys must load the same values. By default the
     * source itself (no sharing); sources that read the same files in every task return a key naming
     * them, so an executor's tasks share one upload.
     */
    default Object residentKey() {
        return this;
    }
}
