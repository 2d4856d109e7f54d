package io.longattn.kernels.simd;

/**
 * The SIMD kernel's register tile: query rows x vectors of keys per micro-kernel step. The two
 * production shapes: 4x2 fills 16 vector registers (AVX2: 8 accumulators, 2 key vectors, broadcasts),
 * 6x4 fills 32 (AVX-512: 24 accumulators, 4 key vectors, 1 broadcast). AUTO picks by the machine's
 * register count. Either runs on any machine (tests run both everywhere), only slower on the other.
 */
public enum SimdTile {
    AUTO("auto", 0, 0),
    T4x2("4x2", 4, 2),
    T6x4("6x4", 6, 4);

    private final String label;
    private final int rows;
    private final int vectors;

    SimdTile(String label, int rows, int vectors) {
        this.label = label;
        this.rows = rows;
        this.vectors = vectors;
    }

    /** As written in a request: auto, 4x2, 6x4. */
    public String label() {
        return label;
    }

    /** Query rows per tile (0 for AUTO). */
    public int rows() {
        return rows;
    }

    /** Vectors of keys per tile row (0 for AUTO). */
    public int vectors() {
        return vectors;
    }

    /** The tile named by label, or null. */
    public static SimdTile parse(String label) {
        for (SimdTile t : values()) if (t.label.equals(label)) return t;
        return null;
    }

    /** AUTO resolved for a machine with (or without) 32 vector registers; a fixed tile stays itself. */
    public SimdTile resolve(boolean registers32) {
        if (this != AUTO) return this;
        return registers32 ? T6x4 : T4x2;
    }

    @Override
    public String toString() {
        return label;
    }
}
