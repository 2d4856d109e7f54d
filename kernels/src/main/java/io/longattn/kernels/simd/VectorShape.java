package io.longattn.kernels.simd;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The species every SIMD class uses, fixed when this class loads: static finals, so C2 folds the lane
 * count into the micro-kernels' index arithmetic. Loaded only once the module is known to be present.
 */
final class VectorShape {
    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    /** Lanes per vector. */
    static final int L = S.length();
    /**
     * Keys per sub-block: the packed K and V of a sub-block stay in L2 while every row tile of a work
     * item passes over them. A constant multiple of every panel width (2L and 4L), so the rows of a
     * score tile are a fixed displacement apart in the micro-kernels. docs/simd-kernel-notes.md has
     * the sizes measured.
     */
    static final int SUB = 256;

    private VectorShape() {
    }

    static int floatLanes() {
        return L;
    }

    static int floatBits() {
        return S.vectorBitSize();
    }
}
