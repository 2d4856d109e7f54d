package io.longattn.job.io;

import io.longattn.job.UserError;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class NonFiniteScanTest {
    @TempDir
    Path dir;

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({"npy, FLOAT32", "npy, FLOAT16", "arrow, FLOAT32", "arrow, FLOAT16"})
    void findsNanInKAndInfInQ(String ext, DType t) throws Exception {
        int seq = 50, heads = 3, dim = 8;
        float[] k = IoTestSupport.random(1, seq * heads * dim);
        float[] q = IoTestSupport.random(2, seq * heads * dim);
        k[(17 * heads + 2) * dim + 5] = Float.NaN;
        k[(40 * heads + 0) * dim + 1] = Float.NEGATIVE_INFINITY;
        k[(41 * heads + 1) * dim + 7] = Float.NaN;
        q[(33 * heads + 1) * dim + 6] = Float.POSITIVE_INFINITY;
        String kp = dir.resolve("k." + ext).toString(), qp = dir.resolve("q." + ext).toString();
        TensorFiles.writeWhole(kp, "k", seq, heads, dim, t, false, k);
        TensorFiles.writeWhole(qp, "q", seq, heads, dim, t, false, q);

        NonFiniteScan.Result rk = NonFiniteScan.scan(TensorFiles.inspect(kp, "k"), "k");
        assertEquals(3, rk.count());
        assertEquals(2, rk.nanCount());
        assertEquals(NonFiniteScan.Kind.NAN, rk.kind());
        assertEquals(17, rk.token());
        assertEquals(2, rk.head());
        assertEquals(5, rk.index());
        assertEquals("k", rk.role());
        assertEquals("holds 3 non-finite values (2 NaN, 1 infinite); the first is NaN at token 17, head 2, index 5", rk.describe());
        assertEquals(kp + ": holds 3 non-finite values (2 NaN, 1 infinite); the first is NaN at token 17, head 2, index 5,"
                + " expected finite values (or --allow-nonfinite)", rk.toUserError().getMessage());

        NonFiniteScan.Result rq = NonFiniteScan.scan(TensorFiles.inspect(qp, "q"));
        assertEquals(1, rq.count());
        assertEquals(NonFiniteScan.Kind.POS_INF, rq.kind());
        assertEquals(33, rq.token());
        assertEquals(1, rq.head());
        assertEquals(6, rq.index());
        assertTrue(rq.describe().contains("the first is +Inf at token 33, head 1, index 6"), rq.describe());
    }

    @Test
    void finiteInputsGiveNullAcrossManyBlocks() throws Exception {
        // 3 * 4 MiB blocks of float32 plus a partial one
        int heads = 4, dim = 64, seq = (3 * NonFiniteScan.BLOCK_BYTES) / (4 * heads * dim) + 100;
        float[] x = IoTestSupport.random(3, seq * heads * dim);
        String p = dir.resolve("v.npy").toString();
        TensorFiles.writeWhole(p, "v", seq, heads, dim, x);
        TensorHeader h = TensorFiles.inspect(p, "v");
        assertNull(NonFiniteScan.scan(h, "v"));
        // a NaN in the last, partial block is found
        x[x.length - 1] = Float.NaN;
        TensorFiles.writeWhole(p, "v", seq, heads, dim, DType.FLOAT32, true, x);
        NonFiniteScan.Result r = NonFiniteScan.scan(TensorFiles.inspect(p, "v"), "v");
        assertEquals(1, r.count());
        assertEquals(seq - 1, r.token());
        assertEquals(heads - 1, r.head());
        assertEquals(dim - 1, r.index());
    }

    @Test
    void allFiniteFastPath() {
        float[] a = {0f, -0f, Float.MAX_VALUE, -Float.MAX_VALUE, Float.MIN_VALUE, 1e-40f, 3f};
        assertTrue(NonFiniteScan.allFinite(a, a.length));
        for (float bad : new float[]{Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.intBitsToFloat(0xffc00001)}) {
            float[] b = a.clone();
            b[4] = bad;
            assertTrue(!NonFiniteScan.allFinite(b, b.length));
            assertTrue(NonFiniteScan.allFinite(b, 4));
        }
    }
}
