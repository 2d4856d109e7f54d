package io.longattn.job;

import io.longattn.job.io.TensorFiles;

import java.nio.file.Path;
import java.util.SplittableRandom;

/** Random tensors written as files, for job tests. */
final class TestData {
    private TestData() {
    }

    static float[] random(long seed, int n, double amplitude) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) r.nextDouble(-amplitude, amplitude);
        return a;
    }

    /** Writes q, k, v with the given extension into dir and returns their paths. */
    static String[] write(Path dir, String ext, int sq, int sk, int hq, int hkv, int d, int dv, long seed) {
        String q = dir.resolve("q" + ext).toString(), k = dir.resolve("k" + ext).toString(), v = dir.resolve("v" + ext).toString();
        write(q, "q", sq, hq, d, random(seed, sq * hq * d, 1.5));
        write(k, "k", sk, hkv, d, random(seed + 1, sk * hkv * d, 1.5));
        write(v, "v", sk, hkv, dv, random(seed + 2, sk * hkv * dv, 1.0));
        return new String[]{q, k, v};
    }

    static void write(String path, String column, int seq, int heads, int dim, float[] data) {
        try {
            TensorFiles.writeWhole(path, column, seq, heads, dim, data);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
