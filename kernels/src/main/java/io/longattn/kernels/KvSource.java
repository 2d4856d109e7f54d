package io.longattn.kernels;

/** Where a unit's kv blocks come from: memory (broadcast), files (stream), or a test array. */
public interface KvSource {
    /** Fills dst with keys/values [k0, k0 + length) of kv head group. */
    void load(int group, int k0, int length, KvBlock dst);
}
