package io.longattn.kernels.cuda;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Optional;

/**
 * The GPU code nvcc built into this jar, if the build had nvcc: the fatbin (sm_80, sm_90 machine code and
 * compute_90 PTX) with every kernel, and an sm_90a cubin for compute capability 9.0 whose wgmma kernels
 * ({@link #HOPPER_PREFIX}) need the architecture-specific instructions no other GPU runs.
 */
final class Fatbin {
    static final String RESOURCE = "longattn.fatbin";
    static final String HOPPER_RESOURCE = "longattn_sm90a.cubin";
    /** Kernels taken from the sm_90a cubin; elsewhere in the fatbin their bodies are empty. */
    static final String HOPPER_PREFIX = "longattn_wg_";
    /** Oldest compute capability the fatbin runs on: sm_80 machine code runs on 8.x, the PTX on 9.0 and newer. */
    static final int MIN_MAJOR = 8;

    private Fatbin() {
    }

    static Optional<byte[]> load() {
        return load(RESOURCE);
    }

    /** The sm_90a cubin, for a GPU of compute capability 9.0 only (sm_90a code runs on no other). */
    static Optional<byte[]> loadHopper() {
        return load(HOPPER_RESOURCE);
    }

    private static Optional<byte[]> load(String resource) {
        try (InputStream in = Fatbin.class.getResourceAsStream(resource)) {
            if (in == null) return Optional.empty();
            byte[] b = in.readAllBytes();
            // a NUL-terminated copy: cuModuleLoadData takes fatbins, cubins and PTX alike
            byte[] z = new byte[b.length + 1];
            System.arraycopy(b, 0, z, 0, b.length);
            return Optional.of(z);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + resource + " from the jar", e);
        }
    }
}
