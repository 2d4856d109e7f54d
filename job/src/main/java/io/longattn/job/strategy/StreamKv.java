package io.longattn.job.strategy;

import io.longattn.job.io.TensorFiles;
import io.longattn.job.io.TensorHeader;
import io.longattn.job.io.TensorReader;
import io.longattn.kernels.KvBlock;

import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * Each unit reads the kv blocks its mask allows straight from the input files, so a task holds a few
 * kv blocks and never all of K/V. Memory O(Kc * Hkv * (D + Dv)) per task.
 */
public final class StreamKv implements KvStrategy {
    private static final long serialVersionUID = 1L;
    private final TensorHeader k;
    private final TensorHeader v;

    public StreamKv(TensorHeader k, TensorHeader v) {
        this.k = k;
        this.v = v;
    }

    @Override
    public String name() {
        return "stream";
    }

    @Override
    public Opened open() {
        TensorReader kr = TensorFiles.open(k);
        TensorReader vr = TensorFiles.open(v);
        int hkv = k.heads(), d = k.dim(), dv = v.dim();
        return new Opened() {
            float[] kBuf = new float[0];
            float[] vBuf = new float[0];
            int cachedK0 = -1, cachedLen = -1;

            @Override
            public void load(int group, int k0, int length, KvBlock dst) {
                if (k0 != cachedK0 || length != cachedLen) {
                    if (kBuf.length < length * hkv * d) {
                        kBuf = new float[dst.capacity * hkv * d];
                        vBuf = new float[dst.capacity * hkv * dv];
                    }
                    try {
                        kr.readRows(k0, length, kBuf, 0);
                        vr.readRows(k0, length, vBuf, 0);
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                    cachedK0 = k0;
                    cachedLen = length;
                }
                dst.load(k0, length, kBuf, vBuf, k0, hkv, group);
            }

            @Override
            public void close() {
                try {
                    kr.close();
                    vr.close();
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
        };
    }
}
