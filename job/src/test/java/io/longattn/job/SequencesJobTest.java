package io.longattn.job;

import io.longattn.job.io.TensorFiles;
import io.longattn.job.io.TensorHeader;
import io.longattn.job.report.JobSummary;
import io.longattn.job.spark.ResultMemory;
import io.longattn.kernels.AttentionSpec;
import io.longattn.kernels.Float64Reference;
import org.apache.arrow.flatbuf.CompressionType;
import org.apache.arrow.flatbuf.Message;
import org.apache.arrow.flatbuf.RecordBatch;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.ipc.ArrowFileReader;
import org.apache.arrow.vector.ipc.ReadChannel;
import org.apache.arrow.vector.ipc.message.ArrowBlock;
import org.apache.arrow.vector.ipc.message.MessageSerializer;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Many sequences in one job (local[2], Kryo registration required): packed varlen sequences with
 * cu_seqlens and rank-4 batches, each sequence judged by the float64 reference with its own lengths;
 * and compressed Arrow outputs.
 */
class SequencesJobTest {
    static JavaSparkContext jsc;

    @TempDir
    Path dir;

    @BeforeAll
    static void start() {
        Map<String, String> conf = new HashMap<>();
        conf.put("spark.master", "local[2,4]");
        conf.put("spark.kryo.registrationRequired", "true");
        jsc = new JavaSparkContext(JobLauncher.sparkConf(conf, null));
        jsc.setLogLevel("ERROR");
    }

    @AfterAll
    static void stop() {
        jsc.stop();
    }

    /** A .npy written byte by byte (numpy's version 1.0 header), so shapes and dtypes the writers lack are possible. */
    static String npy(Path file, String descr, long[] shape, ByteBuffer data) {
        StringBuilder sh = new StringBuilder("(");
        for (long s : shape) sh.append(s).append(", ");
        String dict = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + sh.append(")") + ", }";
        int pad = 64 - (10 + dict.length() + 1) % 64;
        String header = dict + " ".repeat(pad % 64) + "\n";
        ByteBuffer b = ByteBuffer.allocate(10 + header.length() + data.remaining()).order(ByteOrder.LITTLE_ENDIAN);
        b.put((byte) 0x93).put("NUMPY".getBytes(StandardCharsets.US_ASCII)).put((byte) 1).put((byte) 0);
        b.putShort((short) header.length()).put(header.getBytes(StandardCharsets.US_ASCII)).put(data);
        try {
            Files.write(file, b.array());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return file.toString();
    }

    static String floats(Path file, long[] shape, float[] x) {
        ByteBuffer b = ByteBuffer.allocate(4 * x.length).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(x);
        return npy(file, "<f4", shape, b);
    }

    static String offsets(Path file, int[] lengths, boolean int64) {
        ByteBuffer b = ByteBuffer.allocate((int64 ? 8 : 4) * (lengths.length + 1)).order(ByteOrder.LITTLE_ENDIAN);
        long at = 0;
        for (int i = 0; i <= lengths.length; i++) {
            if (int64) b.putLong(at);
            else b.putInt((int) at);
            if (i < lengths.length) at += lengths[i];
        }
        b.flip();
        return npy(file, int64 ? "<i8" : "<i4", new long[]{lengths.length + 1}, b);
    }

    static JobSummary run(JobRequest.Builder b, String... conf) {
        b.conf("spark.longattn.progressSeconds", "0");
        for (int i = 0; i < conf.length; i += 2) b.conf(conf[i], conf[i + 1]);
        return JobLauncher.execute(JobLauncher.prepare(b.build(), JobEndToEndTest.QUIET), jsc, JobEndToEndTest.QUIET);
    }

    /**
     * Sequence by sequence against the float64 reference on its own lengths; rows of a long sequence are
     * sampled (every step-th and its last 40) to keep the reference's O(S^2) cost small.
     */
    static void assertMatchesReference(AttentionSpec template, int[] sq, int[] sk, float[] q, float[] k, float[] v,
                                       float[] o, float[] lse) {
        int hq = template.hq(), hkv = template.hkv(), d = template.d(), dv = template.dv();
        double maxV = 0;
        for (float x : v) maxV = Math.max(maxV, Math.abs(x));
        int q0 = 0, k0 = 0;
        double[] ref = new double[dv];
        for (int s = 0; s < sq.length; s++) {
            int step = sq[s] > 1000 ? 13 : 1;
            for (int i = 0; i < sq[s]; i++) {
                if (i % step != 0 && i < sq[s] - 40) continue;
                for (int h = 0; h < hq; h++) {
                    double refLse;
                    if (sk[s] == 0) {
                        Arrays.fill(ref, 0);
                        refLse = Double.NEGATIVE_INFINITY;
                    } else {
                        AttentionSpec one = new AttentionSpec(sq[s], sk[s], hq, hkv, d, dv, template.scale(), template.causal(),
                                template.windowLeft(), template.windowRight(), template.softcap());
                        float[] ks = Arrays.copyOfRange(k, k0 * hkv * d, (k0 + sk[s]) * hkv * d);
                        float[] vs = Arrays.copyOfRange(v, k0 * hkv * dv, (k0 + sk[s]) * hkv * dv);
                        refLse = Float64Reference.row(one, q, ((long) (q0 + i) * hq + h) * d, ks, vs, i, h, ref);
                    }
                    String where = "sequence " + s + " row " + i + " head " + h;
                    for (int c = 0; c < dv; c++) {
                        float got = o[((q0 + i) * hq + h) * dv + c];
                        assertFalse(Float.isNaN(got), where);
                        assertEquals(ref[c], got, JobEndToEndTest.TOL * maxV, where + " col " + c);
                    }
                    float gotLse = lse[(q0 + i) * hq + h];
                    if (refLse == Double.NEGATIVE_INFINITY) assertEquals(Float.NEGATIVE_INFINITY, gotLse, where);
                    else assertEquals(refLse, gotLse, 1e-4 * Math.max(1, Math.abs(refLse)), where);
                }
            }
            q0 += sq[s];
            k0 += sk[s];
        }
    }

    /** The header dict of a version 1.0 .npy. */
    static String header(String path) {
        try {
            byte[] all = Files.readAllBytes(Path.of(path));
            int len = (all[8] & 0xff) | (all[9] & 0xff) << 8;
            return new String(all, 10, len, StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The float32 data of a version 1.0 .npy of any rank. */
    static float[] rawFloats(String path, int n) {
        try {
            byte[] all = Files.readAllBytes(Path.of(path));
            int len = (all[8] & 0xff) | (all[9] & 0xff) << 8;
            float[] x = new float[n];
            ByteBuffer.wrap(all, 10 + len, 4 * n).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(x);
            return x;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static int sum(int[] x) {
        return Arrays.stream(x).sum();
    }

    /** Ragged lengths, Sq != Sk per sequence, a sequence without keys, decode-like one-query sequences, GQA. */
    static final int[] SQ = {1, 7, 300, 1000, 4097, 5, 1, 64};
    static final int[] SK = {1, 20, 300, 600, 4097, 0, 900, 64};

    String[] packed(String ext, int hq, int hkv, int d, int dv, long seed) {
        int tq = sum(SQ), tk = sum(SK);
        String q = dir.resolve("q" + ext).toString(), k = dir.resolve("k" + ext).toString(), v = dir.resolve("v" + ext).toString();
        TestData.write(q, "q", tq, hq, d, TestData.random(seed, tq * hq * d, 1.5));
        TestData.write(k, "k", tk, hkv, d, TestData.random(seed + 1, tk * hkv * d, 1.5));
        TestData.write(v, "v", tk, hkv, dv, TestData.random(seed + 2, tk * hkv * dv, 1.0));
        return new String[]{q, k, v};
    }

    @Test
    void packedVarlenCausalGqaMatchesReferenceAndIgnoresPartitions() {
        String[] qkv = packed(".npy", 4, 2, 16, 8, 31);
        String cuQ = offsets(dir.resolve("cu_q.npy"), SQ, false), cuK = offsets(dir.resolve("cu_k.npy"), SK, true);
        String out = dir.resolve("o.npy").toString(), lse = dir.resolve("lse.npy").toString();
        JobSummary s = run(JobRequest.builder(qkv[0], qkv[1], qkv[2], out).lse(lse).causal(true).cuSeqlens(cuQ, cuK),
                "spark.longattn.partitions", "3");
        float[] o = TensorFiles.readAll(out, "o");
        float[] l = TensorFiles.readAll(lse, TensorFiles.LSE);
        assertMatchesReference(s.job().spec(), SQ, SK, TensorFiles.readAll(qkv[0], "q"), TensorFiles.readAll(qkv[1], "k"),
                TensorFiles.readAll(qkv[2], "v"), o, l);
        // the same bits from other partitions and another strategy
        String out2 = dir.resolve("o2.npy").toString(), lse2 = dir.resolve("lse2.npy").toString();
        run(JobRequest.builder(qkv[0], qkv[1], qkv[2], out2).lse(lse2).causal(true).cuSeqlens(cuQ, cuK),
                "spark.longattn.partitions", "7", "spark.longattn.strategy", "stream");
        assertArrayEquals(o, TensorFiles.readAll(out2, "o"));
        assertArrayEquals(l, TensorFiles.readAll(lse2, TensorFiles.LSE));
    }

    @Test
    void packedRowsTheDriverWritesFromArrowResultBlocksAreEachSequenceWrittenAloneInPlace() throws IOException {
        int[] sq = {7, 300, 65}, sk = {20, 600, 64};
        int hq = 4, hkv = 2, d = 16, dv = 8;
        int tq = sum(sq), tk = sum(sk);
        float[] q = TestData.random(61, tq * hq * d, 1.5), k = TestData.random(62, tk * hkv * d, 1.5);
        float[] v = TestData.random(63, tk * hkv * dv, 1.0);
        String[] qkv = {dir.resolve("q.npy").toString(), dir.resolve("k.npy").toString(), dir.resolve("v.npy").toString()};
        TestData.write(qkv[0], "q", tq, hq, d, q);
        TestData.write(qkv[1], "k", tk, hkv, d, k);
        TestData.write(qkv[2], "v", tk, hkv, dv, v);
        String cuQ = offsets(dir.resolve("cu_q.npy"), sq, false), cuK = offsets(dir.resolve("cu_k.npy"), sk, false);
        String[] chunks = {"spark.longattn.qChunk", "32", "spark.longattn.kvChunk", "64"};
        String out = dir.resolve("o.npy").toString(), lse = dir.resolve("lse.npy").toString();
        long before = ResultMemory.allocated();
        run(JobRequest.builder(qkv[0], qkv[1], qkv[2], out).lse(lse).causal(true).cuSeqlens(cuQ, cuK),
                concat(chunks, "spark.longattn.partitions", "3", "spark.longattn.outputWriters", "driver"));
        assertEquals(before, ResultMemory.allocated(), "every result block is closed after the job");
        float[] o = TensorFiles.readAll(out, "o"), l = TensorFiles.readAll(lse, TensorFiles.LSE);
        for (int s = 0, q0 = 0, k0 = 0; s < sq.length; q0 += sq[s], k0 += sk[s], s++) {
            Path one = Files.createDirectories(dir.resolve("seq" + s));
            String[] alone = {one.resolve("q.npy").toString(), one.resolve("k.npy").toString(), one.resolve("v.npy").toString()};
            TestData.write(alone[0], "q", sq[s], hq, d, Arrays.copyOfRange(q, q0 * hq * d, (q0 + sq[s]) * hq * d));
            TestData.write(alone[1], "k", sk[s], hkv, d, Arrays.copyOfRange(k, k0 * hkv * d, (k0 + sk[s]) * hkv * d));
            TestData.write(alone[2], "v", sk[s], hkv, dv, Arrays.copyOfRange(v, k0 * hkv * dv, (k0 + sk[s]) * hkv * dv));
            String oneOut = one.resolve("o.npy").toString(), oneLse = one.resolve("lse.npy").toString();
            run(JobRequest.builder(alone[0], alone[1], alone[2], oneOut).lse(oneLse).causal(true),
                    concat(chunks, "spark.longattn.outputWriters", "executors"));
            assertArrayEquals(TensorFiles.readAll(oneOut, "o"), Arrays.copyOfRange(o, q0 * hq * dv, (q0 + sq[s]) * hq * dv),
                    "sequence " + s + ": O differs from the sequence written alone in place");
            assertArrayEquals(TensorFiles.readAll(oneLse, TensorFiles.LSE), Arrays.copyOfRange(l, q0 * hq, (q0 + sq[s]) * hq),
                    "sequence " + s + ": LSE differs from the sequence written alone in place");
        }
    }

    private static String[] concat(String[] a, String... b) {
        String[] c = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }

    @Test
    void packedVarlenWindowOverArrowWithSharedOffsets() {
        int[] lengths = {1, 7, 300, 1000, 33};
        int total = sum(lengths);
        String q = dir.resolve("q.arrow").toString(), k = dir.resolve("k.arrow").toString(), v = dir.resolve("v.arrow").toString();
        TestData.write(q, "q", total, 2, 16, TestData.random(5, total * 2 * 16, 1.5));
        TestData.write(k, "k", total, 1, 16, TestData.random(6, total * 16, 1.5));
        TestData.write(v, "v", total, 1, 16, TestData.random(7, total * 16, 1.0));
        String cu = offsets(dir.resolve("cu.npy"), lengths, false);
        String out = dir.resolve("o.arrow").toString(), lse = dir.resolve("lse.arrow").toString();
        JobSummary s = run(JobRequest.builder(q, k, v, out).lse(lse).window(50, 3).softcap(4.0).cuSeqlens(cu, null),
                "spark.longattn.partitions", "4");
        assertMatchesReference(s.job().spec(), lengths, lengths, TensorFiles.readAll(q, "q"), TensorFiles.readAll(k, "k"),
                TensorFiles.readAll(v, "v"), TensorFiles.readAll(out, "o"), TensorFiles.readAll(lse, TensorFiles.LSE));
    }

    @Test
    void rank4BatchInRank4Out() {
        int b = 3, sq = 100, sk = 130, hq = 2, hkv = 2, d = 16;
        float[] q = TestData.random(1, b * sq * hq * d, 1.5), k = TestData.random(2, b * sk * hkv * d, 1.5),
                v = TestData.random(3, b * sk * hkv * d, 1.0);
        String qp = floats(dir.resolve("q.npy"), new long[]{b, sq, hq, d}, q);
        String kp = floats(dir.resolve("k.npy"), new long[]{b, sk, hkv, d}, k);
        String vp = floats(dir.resolve("v.npy"), new long[]{b, sk, hkv, d}, v);
        String out = dir.resolve("o.npy").toString(), lse = dir.resolve("lse.npy").toString();
        JobSummary s = run(JobRequest.builder(qp, kp, vp, out).lse(lse).causal(true), "spark.longattn.partitions", "2");
        TensorHeader oh = TensorFiles.inspect(out, "o");
        assertArrayEquals(new long[]{b, sq, hq, d}, oh.shape());
        assertEquals(b * sq, oh.seq());
        int[] sqs = {sq, sq, sq}, sks = {sk, sk, sk};
        assertMatchesReference(s.job().spec(), sqs, sks, q, k, v, TensorFiles.readAll(out, "o"), rawFloats(lse, b * sq * hq));
        assertEquals(3 * s.job().plan().sequenceSpec(0).flops(), s.job().plan().totalFlops(), 1e-3);
        assertTrue(header(lse).contains("'shape': (3, 100, 2)"), header(lse));
    }

    @Test
    void badOffsetsAreOneLineErrors() {
        String[] qkv = packed(".npy", 2, 1, 8, 8, 3);
        int[] wrong = SQ.clone();
        wrong[2]++;
        String cuQ = offsets(dir.resolve("cu_q.npy"), wrong, false);
        String out = dir.resolve("o.npy").toString();
        UserError e = assertThrows(UserError.class, () -> JobLauncher.prepare(JobRequest.builder(qkv[0], qkv[1], qkv[2], out)
                .cuSeqlens(cuQ, null).build(), JobEndToEndTest.QUIET));
        assertEquals(cuQ + ": offset 8 is " + (sum(SQ) + 1) + ", past the " + sum(SQ) + " rows of " + qkv[0]
                + ", expected offsets ending at " + sum(SQ), e.getMessage());
        String cuK = offsets(dir.resolve("cu_k.npy"), SK, false);
        UserError alone = assertThrows(UserError.class, () -> JobLauncher.prepare(JobRequest.builder(qkv[0], qkv[1], qkv[2], out)
                .cuSeqlens(null, cuK).build(), JobEndToEndTest.QUIET));
        assertEquals("--cu-seqlens-k: is given without --cu-seqlens-q, expected --cu-seqlens-q too (only --cu-seqlens-q means"
                + " the same offsets for K/V)", alone.getMessage());
        UserError split = assertThrows(UserError.class, () -> JobLauncher.prepare(JobRequest.builder(qkv[0], qkv[1], qkv[2], out)
                .cuSeqlens(offsets(dir.resolve("cu_q2.npy"), SQ, false), cuK).conf("spark.longattn.strategy", "split-kv").build(),
                JobEndToEndTest.QUIET));
        assertEquals("--strategy: split-kv is asked for 8 sequences, expected auto, broadcast or stream (split-kv runs one sequence)",
                split.getMessage());
    }

    JobSummary runCompressed(String[] qkv, String out, String lse, String compression) {
        JobRequest r = JobRequest.builder(qkv[0], qkv[1], qkv[2], out).lse(lse).causal(true)
                .conf("spark.longattn.progressSeconds", "0").conf("spark.longattn.compression", compression).build();
        return JobLauncher.execute(JobLauncher.prepare(r, JobEndToEndTest.QUIET), jsc, JobEndToEndTest.QUIET);
    }

    /** The codec of the file's first record batch, -1 for none. */
    static int codec(String path) throws Exception {
        try (FileChannel ch = FileChannel.open(Path.of(path));
             RootAllocator alloc = new RootAllocator();
             ArrowFileReader reader = new ArrowFileReader(ch, alloc)) {
            ArrowBlock block = reader.getRecordBlocks().get(0);
            ch.position(block.getOffset());
            Message m = MessageSerializer.readMessage(new ReadChannel(ch)).getMessage();
            RecordBatch rb = (RecordBatch) m.header(new RecordBatch());
            return rb.compression() == null ? -1 : rb.compression().codec();
        }
    }

    @Test
    /** --compression lz4|zstd: the job's Arrow outputs come out compressed and hold the same bits. */
    void compressedOutputsHoldTheSameBits() throws Exception {
        String[] qkv = TestData.write(dir, ".arrow", 200, 200, 2, 1, 16, 16, 5);
        String plain = dir.resolve("o.arrow").toString(), plainLse = dir.resolve("lse.arrow").toString();
        runCompressed(qkv, plain, plainLse, "none");
        for (String c : new String[]{"lz4", "zstd"}) {
            String o = dir.resolve("o-" + c + ".feather").toString(), lse = dir.resolve("lse-" + c + ".feather").toString();
            JobSummary s = runCompressed(qkv, o, lse, c);
            assertArrayEquals(JobEndToEndTest.read(plain, "o"), JobEndToEndTest.read(o, "o"), c);
            assertArrayEquals(JobEndToEndTest.readLse(plainLse), JobEndToEndTest.readLse(lse), c);
            assertEquals(c.equals("lz4") ? CompressionType.LZ4_FRAME : CompressionType.ZSTD, codec(o), o);
            assertEquals(c.equals("lz4") ? CompressionType.LZ4_FRAME : CompressionType.ZSTD, codec(lse), lse);
            JobEndToEndTest.assertMatchesReference(s.job().spec(), qkv, o, lse);
        }
    }
}
