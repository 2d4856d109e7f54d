package io.longattn.kernels;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The surefire runs that force a tile shape (kernels/pom.xml: -Dlongattn.test.tiles) only judge that
 * shape's micro-kernels if the forcing took effect; this checks it. Without the property, the shape
 * must be one of the two the kernel picks by itself.
 */
class TileShapeTest {
    @Test
    void theForcedTileShapeIsTheOneInUse() {
        String expected = System.getProperty("longattn.test.tiles");
        if (expected != null) {
            assertEquals(expected, SimdKernel.tileShape(), SimdKernel.describe());
        } else {
            String shape = SimdKernel.tileShape();
            assertTrue(shape.equals("4x2") || shape.equals("6x4"), shape);
        }
    }
}
