package io.longattn.kernels.cuda;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Optional;

/** The fatbin nvcc built into this jar (sm_80, sm_90 machine code and compute_90 PTX), if the build had nvcc. */
final class Fatbin {
    static final String RESOURCE = "longattn.fatbin";
    /** Oldest compute capability the fatbin runs on: sm_80 machine code runs on 8.x, the PTX on 9.0 and newer. */
    static final int MIN_MAJOR = 8;

    private Fatbin() {
    }

    static Optional<byte[]> load() {
        try (InputStream in = Fatbin.class.getResourceAsStream(RESOURCE)) {
            if (in == null) return Optional.empty();
            byte[] b = in.readAllBytes();
            // a NUL-terminated copy: cuModuleLoadData takes fatbins and PTX alike
            byte[] z = new byte[b.length + 1];
            System.arraycopy(b, 0, z, 0, b.length);
            return Optional.of(z);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + RESOURCE + " from the jar", e);
        }
    }
}
