package io.longattn.job.cli;

import io.longattn.job.JobLauncher;
import io.longattn.job.JobRequest;
import io.longattn.job.io.DType;
import io.longattn.job.io.TensorFiles;
import io.longattn.kernels.AttentionSpec;
import io.longattn.kernels.Float64Reference;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Deterministic fuzzing of the inputs a job reads: mutated .npy headers and data, mutated Arrow files (byte
 * flips, truncations, nested and huge headers, huge and negative shapes, odd dtypes, swapped footers). Each
 * case runs in this JVM through the same path as {@code longattn run} (prepare, the job on one shared local
 * context, the CLI's error handler) and must end in exit 2 with exactly one line on stderr, or exit 0 with
 * output that is a softmax average of V; never exit 1, never a hang, never a file left behind.
 */
class FuzzInputsTest {
    static JavaSparkContext jsc;
    static final int S = 8, H = 2, D = 4;

    @TempDir
    static Path dir;

    /** Warnings and errors logged through Log4j (Spark, Arrow) during a case: on a terminal they precede the one line. */
    static final List<String> LOGGED = io.longattn.job.LoggedWarnings.capture();

    @BeforeAll
    static void start() {
        Map<String, String> conf = new HashMap<>();
        conf.put("spark.master", "local[2]");
        jsc = new JavaSparkContext(JobLauncher.sparkConf(conf, null));
        jsc.setLogLevel("WARN");
    }

    @AfterAll
    static void stop() {
        jsc.stop();
    }

    /** One input file replaced by the mutated bytes. */
    record Case(String name, String ext, int role, byte[] bytes) {
    }

    record Outcome(int code, String err, String log) {
    }

    @Test
    void everyMutatedInputEndsInOneLineOrACorrectOutput() throws Exception {
        List<Case> cases = new ArrayList<>();
        cases.addAll(npyCases(DType.FLOAT32));
        cases.addAll(npyCases(DType.FLOAT16));
        cases.addAll(arrowCases());
        assertTrue(cases.size() >= 300, "only " + cases.size() + " cases");
        Map<String, Integer> tally = new TreeMap<>();
        int n = 0;
        for (Case c : cases) {
            Path caseDir = Files.createDirectory(dir.resolve("case-" + n++));
            LOGGED.clear();
            Outcome o = assertTimeoutPreemptively(Duration.ofSeconds(60), () -> run(caseDir, c), c.name());
            String where = c.name() + " (" + "qkv".charAt(c.role()) + c.ext() + ")";
            if (o.code() == 2) {
                assertEquals(1, o.err().lines().count(), where + ": one line expected, got:\n" + o.err());
                assertTrue(o.err().startsWith("longattn: "), where + ": " + o.err());
                assertTrue(!o.log().contains("\tat ") && !o.log().contains("Exception"), where + ": log holds a trace:\n" + o.log());
                assertEquals(List.of(), LOGGED, where + ": logged before the line");
                assertEquals(List.of("k" + c.ext(), "q" + c.ext(), "v" + c.ext()), names(caseDir), where + ": files left behind");
            } else if (o.code() == 0) {
                assertCorrect(caseDir, c.ext(), where);
            } else {
                fail(where + ": exit " + o.code() + "\n" + o.err());
            }
            tally.merge((o.code() == 0 ? "exit 0 " : "exit 2 ") + c.ext(), 1, Integer::sum);
        }
        System.out.println("fuzz: " + cases.size() + " cases: " + tally);
    }

    static List<String> names(Path d) throws Exception {
        try (Stream<Path> s = Files.list(d)) {
            return s.map(p -> p.getFileName().toString()).sorted().collect(Collectors.toList());
        }
    }

    /** Runs the job on the case's files as `longattn run` would and returns the exit status and what it printed. */
    static Outcome run(Path caseDir, Case c) throws Exception {
        String[] paths = new String[3];
        for (int r = 0; r < 3; r++) {
            Path p = caseDir.resolve("qkv".charAt(r) + c.ext());
            Files.write(p, r == c.role() ? c.bytes() : base(c.ext(), r, DType.FLOAT32));
            paths[r] = p.toString();
        }
        JobRequest request = JobRequest.builder(paths[0], paths[1], paths[2], caseDir.resolve("o" + c.ext()).toString())
                .lse(caseDir.resolve("lse" + c.ext()).toString()).conf("spark.longattn.progressSeconds", "0")
                .conf("spark.longattn.qChunk", "4").conf("spark.longattn.kvChunk", "4").build();
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        StringWriter err = new StringWriter();
        PrintStream logStream = new PrintStream(log, true, StandardCharsets.UTF_8);
        int code;
        try {
            JobLauncher.execute(JobLauncher.prepare(request, logStream), jsc, logStream);
            code = 0;
        } catch (Exception e) {
            code = Cli.handle(e, false, new PrintWriter(err));
        } catch (Error e) {
            StringWriter trace = new StringWriter();
            e.printStackTrace(new PrintWriter(trace));
            return new Outcome(1, trace.toString(), "");
        }
        return new Outcome(code, err.toString(), log.toString(StandardCharsets.UTF_8));
    }

    /** A job that ran: O is, row by row, the softmax average of V the float64 reference gives for the inputs as read. */
    static void assertCorrect(Path caseDir, String ext, String where) {
        float[] q = TensorFiles.readAll(caseDir.resolve("q" + ext).toString(), "q");
        float[] k = TensorFiles.readAll(caseDir.resolve("k" + ext).toString(), "k");
        float[] v = TensorFiles.readAll(caseDir.resolve("v" + ext).toString(), "v");
        float[] o = TensorFiles.readAll(caseDir.resolve("o" + ext).toString(), "o");
        int sq = q.length / (H * D), sk = k.length / (H * D);
        AttentionSpec spec = new AttentionSpec(sq, sk, H, H, D, D, AttentionSpec.defaultScale(D), false, -1, -1, 0);
        double maxScore = 0, maxV = 0;
        for (float x : q) maxScore = Math.max(maxScore, Math.abs(x));
        double maxK = 0;
        for (float x : k) maxK = Math.max(maxK, Math.abs(x));
        maxScore *= maxK * D * spec.scale();
        for (float x : v) maxV = Math.max(maxV, Math.abs(x));
        double[] ref = new double[D];
        for (int i = 0; i < sq; i++) {
            for (int h = 0; h < H; h++) {
                Float64Reference.row(spec, q, k, v, i, h, ref);
                for (int c = 0; c < D; c++) {
                    float got = o[(i * H + h) * D + c];
                    assertTrue(Float.isFinite(got), where + ": O row " + i + " is " + got);
                    // float32 scores carry a relative error of ~1e-7: with huge scores only the bound by V holds
                    double tol = maxScore < 1e3 ? 1e-4 * Math.max(1, maxV) : maxV * (1 + 1e-6);
                    double diff = maxScore < 1e3 ? Math.abs(ref[c] - got) : Math.abs(got);
                    assertTrue(diff <= tol, where + ": O row " + i + " head " + h + " col " + c + " is " + got + ", reference " + ref[c]);
                }
            }
        }
    }

    // ---------------------------------------------------------------- inputs and mutations

    static final Map<String, byte[]> BASES = new HashMap<>();

    /** The unmutated file of role r (0 q, 1 k, 2 v) in a format. */
    static synchronized byte[] base(String ext, int role, DType dtype) throws Exception {
        String key = ext + role + dtype;
        byte[] b = BASES.get(key);
        if (b == null) {
            Path tmp = Files.createTempDirectory(dir, "base");
            Path p = tmp.resolve("x" + ext);
            float[] data = new float[S * H * D];
            SplittableRandom r = new SplittableRandom(role * 31L + 7);
            for (int i = 0; i < data.length; i++) data[i] = (float) r.nextDouble(-1.5, 1.5);
            TensorFiles.writeWhole(p.toString(), String.valueOf("qkv".charAt(role)), S, H, D, dtype, false, data);
            b = Files.readAllBytes(p);
            BASES.put(key, b);
        }
        return b;
    }

    static byte[] npyHeader(String dict, long declaredLength, byte major) {
        byte[] text = dict.getBytes(StandardCharsets.ISO_8859_1);
        int lenBytes = major == 1 ? 2 : 4;
        int hlen = text.length + 1;
        int pad = (64 - ((6 + 2 + lenBytes + hlen) % 64)) % 64;
        ByteBuffer b = ByteBuffer.allocate(6 + 2 + lenBytes + hlen + pad).order(ByteOrder.LITTLE_ENDIAN);
        b.put(new byte[]{(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'}).put(major).put((byte) 0);
        long len = declaredLength >= 0 ? declaredLength : hlen + pad;
        if (major == 1) b.putShort((short) len);
        else b.putInt((int) len);
        b.put(text);
        for (int i = 0; i < pad; i++) b.put((byte) ' ');
        b.put((byte) '\n');
        return b.array();
    }

    static byte[] concat(byte[] a, byte[] b) {
        byte[] c = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }

    static List<Case> npyCases(DType dtype) throws Exception {
        List<Case> cases = new ArrayList<>();
        SplittableRandom r = new SplittableRandom(dtype == DType.FLOAT32 ? 1 : 2);
        byte[] q = base(".npy", 0, dtype);
        int dataOffset = 128;
        byte[] data = Arrays.copyOfRange(q, dataOffset, q.length);
        String f = dtype == DType.FLOAT32 ? "f32" : "f16";
        // every header byte flipped, the role taking turns
        int[] masks = {0xff, 0x01, 0x20, 0x80};
        for (int i = 0; i < dataOffset; i += dtype == DType.FLOAT32 ? 1 : 4) {
            byte[] b = q.clone();
            b[i] ^= (byte) masks[i % masks.length];
            cases.add(new Case(f + " header byte " + i + " ^ " + masks[i % masks.length], ".npy", i % 3, rebase(b, i % 3, dtype)));
        }
        // data bits flipped
        for (int i = 0; i < 12; i++) {
            byte[] b = q.clone();
            int pos = dataOffset + r.nextInt(data.length);
            int bit = r.nextInt(8);
            b[pos] ^= (byte) (1 << bit);
            cases.add(new Case(f + " data byte " + pos + " bit " + bit, ".npy", i % 3, rebase(b, i % 3, dtype)));
        }
        // truncations
        for (int len : new int[]{0, 1, 5, 6, 8, 9, 10, 11, 64, 127, 128, 129, q.length - 1}) {
            cases.add(new Case(f + " truncated to " + len, ".npy", len % 3, Arrays.copyOf(rebase(q, len % 3, dtype), len)));
        }
        if (dtype == DType.FLOAT16) return cases;
        // hand-made headers
        String nested = "(".repeat(100_000) + ")".repeat(100_000);
        List<String> dicts = List.of(
                "{'descr': '<f4', 'fortran_order': False, 'shape': " + nested + ", }",
                "{'descr': '<f4', 'fortran_order': False, 'shape': (2147483647, 1, 1), }",
                "{'descr': '<f4', 'fortran_order': False, 'shape': (1073741825, 2, 4), }",
                "{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999, 2, 4), }",
                "{'descr': '<f4', 'fortran_order': False, 'shape': (-1, 2, 4), }",
                "{'descr': '<f4', 'fortran_order': False, 'shape': (8, 2, -4), }",
                "{'descr': '<f4', 'fortran_order': False, 'shape': (0, 2, 4), }",
                "{'descr': '<f4', 'fortran_order': False, 'shape': (8, 0, 4), }",
                "{'descr': '<f4', 'fortran_order': False, 'shape': (8, 2, 4, 1), }",
                "{'descr': '<f4', 'fortran_order': False, 'shape': (64,), }",
                "{'descr': '<f4', 'fortran_order': False, 'shape': (), }",
                "{'descr': '<f4', 'fortran_order': False, 'shape': (8, 2, 4.5), }",
                "{'descr': '<f4', 'fortran_order': False, 'shape': ('a', 2, 4), }",
                "{'descr': '<f4', 'fortran_order': False, 'shape': (8, 65536, 65536), }",
                "{'descr': '<f4', 'fortran_order': False, 'shape': (8, 2, 4), 'extra': 1, }",
                "{'descr': '<f4', 'fortran_order': True, 'shape': (8, 2, 4), }",
                "{'descr': '<f4', 'fortran_order': 1, 'shape': (8, 2, 4), }",
                "{'descr': '<f4', 'shape': (8, 2, 4), }",
                "{'fortran_order': False, 'shape': (8, 2, 4), }",
                "{'descr': '<f4', 'fortran_order': False, }",
                "['descr', '<f4']",
                "{'descr': '<f4', 'fortran_order': False, 'shape': (8, 2, 4)",
                "{'descr': '<f4, 'fortran_order': False, 'shape': (8, 2, 4), }",
                "{'descr': '<f4\r\u001b[2K\u001b[31m', 'fortran_order': False, 'shape': (8, 2, 4), }",
                "{'descr': " + "'" + "x".repeat(60_000) + "', 'fortran_order': False, 'shape': (8, 2, 4), }",
                "{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (8, 2, 4), }",
                "{'descr': '<f4', 'fortran_order': False, 'shape': [8, 2, 4], }",
                "{'descr': '<f4', 'fortran_order': False, 'shape': (8, 2, 4), 'shape': (9, 2, 4), }",
                "{'descr': '<f4', 'fortran_order': False, 'shape': (4, 2, 4), }",
                "{'descr': '<f4', 'fortran_order': False, 'shape': (16, 2, 4), }",
                "{}", "", "\u0000\u0000\u0000");
        for (String d : dicts) cases.add(new Case("header " + shorten(d), ".npy", cases.size() % 3, concat(npyHeader(d, -1, (byte) 1), data)));
        for (String descr : new String[]{"<f8", ">f4", "|u1", "<i4", "<c8", "O", "|b1", ">f2", "<V16", "|S3", "<M8[s]", "f4", "=f4", "<f16"}) {
            String d = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': (8, 2, 4), }";
            cases.add(new Case("dtype " + descr, ".npy", cases.size() % 3, concat(npyHeader(d, -1, (byte) 1), data)));
        }
        String ok = "{'descr': '<f4', 'fortran_order': False, 'shape': (8, 2, 4), }";
        cases.add(new Case("version 2.0", ".npy", 0, concat(npyHeader(ok, -1, (byte) 2), data)));
        cases.add(new Case("version 3.0", ".npy", 1, concat(npyHeader(ok, -1, (byte) 3), data)));
        cases.add(new Case("version 9", ".npy", 2, concat(npyHeader(ok, -1, (byte) 9), data)));
        cases.add(new Case("header length 0xffff", ".npy", 0, concat(npyHeader(ok, 0xffff, (byte) 1), data)));
        cases.add(new Case("header length 0", ".npy", 1, concat(npyHeader(ok, 0, (byte) 1), data)));
        cases.add(new Case("v2 header length 2^31-1", ".npy", 2, concat(npyHeader(ok, Integer.MAX_VALUE, (byte) 2), data)));
        cases.add(new Case("v2 header length -1", ".npy", 0, concat(npyHeader(ok, 0xffffffffL, (byte) 2), data)));
        return cases;
    }

    static String shorten(String s) {
        return s.length() > 60 ? s.substring(0, 60) + "..." : s;
    }

    /** The mutated bytes of q as the bytes of another role: the other roles' files differ only in data. */
    static byte[] rebase(byte[] mutatedQ, int role, DType dtype) throws Exception {
        if (role == 0) return mutatedQ;
        byte[] q = base(".npy", 0, dtype), other = base(".npy", role, dtype);
        byte[] b = mutatedQ.clone();
        for (int i = 128; i < Math.min(b.length, other.length); i++) b[i] ^= (byte) (q[i] ^ other[i]);
        return b;
    }

    static List<Case> arrowCases() throws Exception {
        List<Case> cases = new ArrayList<>();
        SplittableRandom r = new SplittableRandom(3);
        for (int role = 0; role < 3; role++) {
            byte[] a = base(".arrow", role, DType.FLOAT32);
            // byte flips spread over the file: magic, schema, batch metadata, body, footer, trailer
            int step = Math.max(1, a.length / 30);
            for (int i = role; i < a.length; i += step) {
                byte[] b = a.clone();
                int mask = 1 << r.nextInt(8) | (r.nextBoolean() ? 0xff : 0);
                b[i] ^= (byte) mask;
                cases.add(new Case("arrow byte " + i + " ^ " + (mask & 0xff), ".arrow", role, b));
            }
            for (int i = a.length - 40; i < a.length; i += 2 + role) {
                byte[] b = a.clone();
                b[i] ^= (byte) 0xff;
                cases.add(new Case("arrow footer byte " + i, ".arrow", role, b));
            }
            for (int len : new int[]{0, 6, 8, 17, 18, a.length / 4, a.length / 2, a.length - 11, a.length - 10, a.length - 1}) {
                cases.add(new Case("arrow truncated to " + len, ".arrow", role, Arrays.copyOf(a, len)));
            }
            // footer length field: 0, negative, huge, the file size
            for (int len : new int[]{0, -1, Integer.MAX_VALUE, a.length, a.length - 18, 8}) {
                byte[] b = a.clone();
                ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putInt(a.length - 10, len);
                cases.add(new Case("arrow footer length " + len, ".arrow", role, b));
            }
        }
        // a footer swapped in from another file: float16, and a file of more rows in two batches
        byte[] q = base(".arrow", 0, DType.FLOAT32);
        byte[] half = base(".arrow", 0, DType.FLOAT16);
        cases.add(new Case("arrow footer of a float16 file", ".arrow", 0, swapFooter(q, half)));
        cases.add(new Case("arrow float16 with a float32 footer", ".arrow", 0, swapFooter(half, q)));
        cases.add(new Case("arrow footer of k", ".arrow", 0, swapFooter(q, base(".arrow", 1, DType.FLOAT32))));
        cases.add(new Case("npy bytes as arrow", ".arrow", 1, base(".npy", 1, DType.FLOAT32)));
        cases.add(new Case("arrow stream marker", ".arrow", 2, concat(new byte[]{-1, -1, -1, -1}, Arrays.copyOfRange(q, 8, q.length))));
        return cases;
    }

    /** a's bytes with b's footer (and trailer) in place of its own. */
    static byte[] swapFooter(byte[] a, byte[] b) {
        int fa = ByteBuffer.wrap(a).order(ByteOrder.LITTLE_ENDIAN).getInt(a.length - 10);
        int fb = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).getInt(b.length - 10);
        byte[] head = Arrays.copyOf(a, a.length - 10 - fa);
        return concat(head, Arrays.copyOfRange(b, b.length - 10 - fb, b.length));
    }
}
