package io.longattn.kernels.cuda;

import io.longattn.kernels.AttentionSpec;
import io.longattn.kernels.Precision;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What can be checked without a GPU: argument packing, launch geometry, the probe's reason, errors. */
class CudaHostTest {
    static final Path SOURCE = Path.of("src/main/cuda/attention.cu");
    static final Path TC_SOURCE = Path.of("src/main/cuda/attention_tc.cuh");
    static final Path WG_SOURCE = Path.of("src/main/cuda/attention_wg.cuh");

    /** The parameter list of the kernel named by the pattern, as "type name" (whitespace and __restrict__ dropped). */
    static List<String> signature(String source, String name) {
        int at = source.indexOf(name + "(");
        assertTrue(at >= 0, name + " not found in attention.cu");
        int open = source.indexOf('(', at), close = source.indexOf(')', open);
        String params = source.substring(open + 1, close).replace("\\", " ").replace("__restrict__", "").replace("const ", "");
        List<String> out = new ArrayList<>();
        for (String p : params.split(",")) out.add(p.trim().replaceAll("\\s+", " ").replace("float *", "float* "));
        return out;
    }

    @Test
    void forwardArgumentsFollowTheKernelSignature() throws IOException {
        String src = Files.readString(SOURCE);
        List<String> expected = signature(src, "longattn_fwd_##DP##_##DVP");
        AttentionSpec spec = AttentionSpec.of(100, 120, 4, 2, 64, 32).withCausal(true);
        List<String> actual = CudaAttention.forwardArgs(spec, null, null, null, null, null, null, null, null,
                10, 0, 0, 0, 120, 0, CudaAttention.OUT_FINAL).signature();
        assertEquals(expected, actual);
    }

    @Test
    void tensorCoreKernelsTakeTheForwardArguments() throws IOException {
        List<String> expected = signature(Files.readString(SOURCE), "longattn_fwd_##DP##_##DVP");
        assertEquals(expected, signature(Files.readString(TC_SOURCE), "longattn_tc_##NAME##_##DP"));
        // the packed operands' row stride is the kernel's width, whatever D and Dv are
        AttentionSpec spec = AttentionSpec.of(100, 120, 4, 2, 80, 48).withPrecision(Precision.BF16);
        List<String> args = CudaAttention.forwardArgs(spec, null, null, null, null, null, null, null, null,
                10, 0, 0, 0, 120, 0, CudaAttention.OUT_FINAL).signature();
        assertEquals(expected, args);
        assertEquals(128, CudaAttention.tcWidth(spec));
    }

    @Test
    void wgmmaKernelsTakeTheForwardArgumentsAndExistForEveryWidth() throws IOException {
        List<String> expected = signature(Files.readString(SOURCE), "longattn_fwd_##DP##_##DVP");
        String wg = Files.readString(WG_SOURCE);
        assertEquals(expected, signature(wg, "longattn_wg_##NAME##_##DP"));
        Matcher m = Pattern.compile("LONGATTN_WG_DEFINE\\((\\w+), \\w+, (\\d+)\\)").matcher(wg);
        List<String> defined = new ArrayList<>();
        while (m.find()) defined.add("longattn_wg_" + m.group(1) + "_" + m.group(2));
        for (Precision p : new Precision[]{Precision.FP16, Precision.BF16}) {
            for (int w : new int[]{64, 128}) assertTrue(defined.contains("longattn_wg_" + p.id() + "_" + w), p.id() + " " + w + ": " + defined);
        }
        // the host's shared memory and block size are the kernel's
        assertTrue(wg.contains("#define LONGATTN_WG_SHARED(DP) ((DP) == 128 ? 3 * 2 * 64 * 128 * 2 + 1024 + 64 : 2 * 2 * 64 * (DP) * 2 + 1024)"),
                "LONGATTN_WG_SHARED changed: update CudaAttention.wgSharedBytes");
        assertEquals(3 * 2 * 64 * 128 * 2 + 1024 + 64, CudaAttention.wgSharedBytes(128));
        assertEquals(2 * 2 * 64 * 64 * 2 + 1024, CudaAttention.wgSharedBytes(64));
        assertTrue(wg.contains("#define LONGATTN_WG_THREADS(DP) ((DP) == 128 ? 384 : 256)"), "LONGATTN_WG_THREADS changed: update CudaAttention.wgThreads");
        assertEquals(384, CudaAttention.wgThreads(128));
        assertEquals(256, CudaAttention.wgThreads(64));
        assertTrue(wg.contains("__launch_bounds__(LONGATTN_WG_THREADS(DP), "), "the kernels' launch bounds name the host's block size");
    }

    @Test
    void packArgumentsFollowTheKernelSignature() throws IOException {
        String src = Files.readString(TC_SOURCE);
        List<String> expected = signature(src, "longattn_pack_kv_##NAME");
        assertEquals(expected, CudaAttention.packArgs(null, 64, 64, null, 64, 10).signature());
    }

    @Test
    void everyTensorCoreKernelTheHostCanAskForIsInTheSource() throws IOException {
        String src = Files.readString(TC_SOURCE);
        Matcher m = Pattern.compile("LONGATTN_TC_DEFINE\\((\\w+), \\w+, (\\d+)\\)").matcher(src);
        List<String> defined = new ArrayList<>();
        while (m.find()) defined.add(m.group(1) + "_" + m.group(2));
        Matcher pm = Pattern.compile("LONGATTN_PACK_DEFINE\\((\\w+), \\w+\\)").matcher(src);
        List<String> packs = new ArrayList<>();
        while (pm.find()) packs.add(pm.group(1));
        for (Precision p : new Precision[]{Precision.TF32, Precision.FP16, Precision.BF16}) {
            assertTrue(packs.contains(p.id()), "no pack kernel for " + p.id());
            for (int d = 1; d <= 128; d += 9) {
                for (int dv = 1; dv <= 128; dv += 13) {
                    AttentionSpec spec = AttentionSpec.of(4, 4, 1, 1, d, dv).withPrecision(p);
                    assertNull(CudaAttention.unsupported(spec));
                    String name = p.id() + "_" + CudaAttention.tcWidth(spec);
                    assertTrue(defined.contains(name), "no tensor-core kernel for D=" + d + " Dv=" + dv + " (" + name + ")");
                }
            }
        }
        assertEquals(0, CudaAttention.tcWidth(AttentionSpec.of(4, 4, 1, 1, 64, 64)), "fp32 runs the exact kernel");
    }

    @Test
    void tensorCoreBlocksFitTwoPerMultiprocessor() {
        for (Precision p : new Precision[]{Precision.TF32, Precision.FP16, Precision.BF16}) {
            for (int w : new int[]{64, 128}) {
                // __launch_bounds__(128, 2): two blocks per SM must fit in shared memory on sm_80 (164 KiB per SM)
                assertTrue(2 * (CudaAttention.tcSharedBytes(p, w) + 1024) <= 164 * 1024, p + " " + w);
            }
        }
        assertEquals(4 * 64 * (64 * 2 + 16), CudaAttention.tcSharedBytes(Precision.BF16, 64), "double-buffered K and V");
        assertEquals(2 * 64 * (128 * 4 + 16), CudaAttention.tcSharedBytes(Precision.TF32, 128));
        // 16-bit at width 128: 32-key K and V tiles plus the block's 128 Q rows
        assertEquals(2 * 32 * (128 * 2 + 16) + 128 * (128 * 2 + 16), CudaAttention.tcSharedBytes(Precision.FP16, 128));
        // 16-bit: two row groups per warp (128 rows a block); tf32 one (64)
        assertEquals(128, CudaAttention.tileRows(AttentionSpec.of(4, 4, 1, 1, 64, 64).withPrecision(Precision.BF16)));
        assertEquals(64, CudaAttention.tileRows(AttentionSpec.of(4, 4, 1, 1, 64, 64).withPrecision(Precision.TF32)));
        assertEquals(128, CudaAttention.tileRows(AttentionSpec.of(4, 4, 1, 1, 128, 128).withPrecision(Precision.FP16)));
        assertEquals(64, CudaAttention.tileRows(AttentionSpec.of(4, 4, 1, 1, 128, 128).withPrecision(Precision.TF32)));
    }

    @Test
    void residentKvTakesTheBytesOfItsOperandType() {
        AttentionSpec fp32 = AttentionSpec.of(4, 1000, 1, 1, 64, 48);
        assertEquals(4L * 1000 * (64 + 48), ResidentKv.bytes(fp32), "float32 rows, unpadded");
        // K and V each packed to 64 columns: bf16 and fp16 at 2 bytes, tf32 at 4
        assertEquals(2L * 1000 * 64 * 2, ResidentKv.bytes(fp32.withPrecision(Precision.BF16)));
        assertEquals(2L * 1000 * 64 * 2, ResidentKv.bytes(fp32.withPrecision(Precision.FP16)));
        assertEquals(2L * 1000 * 64 * 4, ResidentKv.bytes(fp32.withPrecision(Precision.TF32)));
        assertEquals(2L * 1000 * 128 * 2, ResidentKv.bytes(AttentionSpec.of(4, 1000, 1, 1, 96, 96).withPrecision(Precision.BF16)));
    }

    @Test
    void tensorCoreHeadDimsAbove128AreRefusedInOneLine() {
        AttentionSpec spec = AttentionSpec.of(4, 4, 1, 1, 256, 64).withPrecision(Precision.TF32);
        String why = CudaAttention.unsupported(spec);
        assertEquals("--precision tf32 runs on tensor-core kernels for head_dim up to 128, this spec has D=256 Dv=64"
                + " (--precision fp32 takes up to 256)", why);
        assertNull(CudaAttention.unsupported(spec.withPrecision(Precision.FP32)));
    }

    @Test
    void mergeArgumentsFollowTheKernelSignature() throws IOException {
        String src = Files.readString(SOURCE);
        List<String> expected = signature(src, "longattn_merge_splits");
        List<String> actual = CudaAttention.mergeArgs(null, null, null, null, null, null, null, null, 1, 1, 2, 0).signature();
        assertEquals(expected, actual);
    }

    @Test
    void everyInstantiationTheHostCanAskForIsInTheSource() throws IOException {
        String src = Files.readString(SOURCE);
        Matcher m = Pattern.compile("LONGATTN_DEFINE\\((\\d+), (\\d+)\\)").matcher(src);
        List<String> defined = new ArrayList<>();
        while (m.find()) defined.add(m.group(1) + "_" + m.group(2));
        for (int d = 1; d <= 256; d += 7) {
            for (int dv = 1; dv <= 256; dv += 11) {
                String name = CudaAttention.padded(d) + "_" + CudaAttention.padded(dv);
                assertTrue(defined.contains(name), "no kernel for D=" + d + " Dv=" + dv + " (" + name + ")");
            }
        }
    }

    @Test
    void sharedMemoryFitsAHopperOrAmpereBlock() {
        for (int dp : new int[]{32, 64, 128, 256}) {
            for (int dvp : new int[]{32, 64, 128, 256}) {
                int bytes = CudaAttention.sharedBytes(dp, dvp);
                // sm_80 allows 163 KiB per block after opting in, sm_90 227 KiB
                assertTrue(bytes <= 163 * 1024 || dp + dvp > 256, dp + "x" + dvp + ": " + bytes);
                assertTrue(bytes <= 227 * 1024, dp + "x" + dvp + ": " + bytes);
                // key splits are cut at multiples of TILE_KEYS: every key tile must divide it
                assertEquals(0, CudaAttention.TILE_KEYS % CudaAttention.tileKeys(dp, dvp), dp + "x" + dvp);
            }
        }
        assertEquals(64, CudaAttention.padded(33));
        assertEquals(32, CudaAttention.padded(3));
        assertEquals(256, CudaAttention.padded(129));
        assertEquals(64, CudaAttention.tileRows(64, 128));
        assertEquals(32, CudaAttention.tileRows(256, 64));
        assertEquals(128, CudaAttention.tileRows(64, 64));
        // blocks per SM the kernel's launch bounds plan for (an SM has 228 KiB, 1 KiB of it reserved per block)
        assertTrue(3 * (CudaAttention.sharedBytes(128, 128) + 1024) <= 228 * 1024, "128x128");
        assertTrue(2 * (CudaAttention.sharedBytes(64, 64) + 1024) <= 228 * 1024, "64x64");
    }

    @Test
    void keySplitsComeFromTheSpecAndStayTileAligned() {
        // a long prefill fills the GPU with query tiles: no split
        assertEquals(0, CudaAttention.splitKeys(AttentionSpec.of(65536, 65536, 2, 2, 64, 64)));
        // decode: one query row against a million keys is split, each split a multiple of 64 keys
        int split = CudaAttention.splitKeys(AttentionSpec.of(1, 1 << 20, 1, 1, 64, 64));
        assertTrue(split > 0 && split % CudaAttention.TILE_KEYS == 0, "split " + split);
        assertTrue((1 << 20) / split >= 100, "too few splits: " + split);
        // a handful of keys is never split
        assertEquals(0, CudaAttention.splitKeys(AttentionSpec.of(1, 100, 1, 1, 64, 64)));
    }

    @Test
    void unsupportedHeadDimsAreNamed() {
        assertNull(CudaAttention.unsupported(AttentionSpec.of(4, 4, 1, 1, 256, 256)));
        assertTrue(CudaAttention.unsupported(AttentionSpec.of(4, 4, 1, 1, 300, 64)).contains("head_dim 300"));
        assertTrue(CudaAttention.unsupported(AttentionSpec.of(4, 4, 1, 1, 64, 512)).contains("value head_dim 512"));
    }

    @Test
    void errorsNameTheCallAndTheDriverError() {
        CudaException e = new CudaException("cuMemAlloc", "CUDA_ERROR_OUT_OF_MEMORY", "resident K of kv group 0: 1024 bytes");
        assertEquals("CUDA call cuMemAlloc failed: CUDA_ERROR_OUT_OF_MEMORY (resident K of kv group 0: 1024 bytes)", e.getMessage());
        assertTrue(e.outOfMemory());
        CudaException other = new CudaException("cuLaunchKernel", "CUDA_ERROR_LAUNCH_FAILED", null);
        assertEquals("CUDA call cuLaunchKernel failed: CUDA_ERROR_LAUNCH_FAILED", other.getMessage());
        assertFalse(other.outOfMemory());
    }

    @Test
    void theProbeExplainsWhyNotWhenNoGpuIsUsable() {
        CudaProbe p = CudaProbe.get();
        if (p.usable()) {
            assertTrue(p.devices() > 0 && p.major() >= Fatbin.MIN_MAJOR, p.describe());
            return;
        }
        assertNotNull(p.unavailableReason());
        assertFalse(p.unavailableReason().isBlank());
        assertEquals(p.unavailableReason(), p.describe());
    }

    @Test
    void theBuildCarriesTheFatbinWhenNvccIsThere() {
        boolean nvcc = false;
        for (String dir : System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator)) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, "nvcc"))) nvcc = true;
        }
        if (!nvcc) {
            assertTrue(CudaProbe.get().unavailableReason() != null);
            return;
        }
        byte[] fatbin = Fatbin.load().orElseThrow(() -> new AssertionError("nvcc is on the PATH but the jar has no fatbin"));
        // a fatbin starts with its magic 0xBA55ED50 (little endian)
        assertEquals(0x50, fatbin[0] & 0xff);
        assertEquals(0xED, fatbin[1] & 0xff);
        assertEquals(0x55, fatbin[2] & 0xff);
        assertEquals(0xBA, fatbin[3] & 0xff);
    }
}
