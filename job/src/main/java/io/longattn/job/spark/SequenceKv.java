package io.longattn.job.spark;

import io.longattn.kernels.KvBlock;
import io.longattn.kernels.KvSource;

import java.util.List;

/**
 * One packed sequence's keys as a source of their own: key j of the sequence is packed row kStart + j.
 * Blocks come back numbered from the sequence's first key, so the kernel's mask (bottom-right aligned
 * within the sequence) sees sequence positions.
 */
final class SequenceKv implements KvSource {
    private final KvSource packed;
    private final int kStart;
    private final int sk;

    SequenceKv(KvSource packed, int kStart, int sk) {
        this.packed = packed;
        this.kStart = kStart;
        this.sk = sk;
    }

    @Override
    public void load(int group, int k0, int length, KvBlock dst) {
        if (k0 < 0 || k0 + length > sk) {
            throw new IndexOutOfBoundsException("keys [" + k0 + ", " + (k0 + length) + ") outside the sequence's " + sk);
        }
        packed.load(group, kStart + k0, length, dst);
        dst.set(k0, length);
    }

    /** A device copy of the packed K/V's rows [kStart, kStart + sk): distinct per sequence. */
    @Override
    public Object residentKey() {
        return List.of(packed.residentKey(), kStart, sk);
    }
}
