package io.longattn.job.cli;

import io.longattn.job.io.DType;
import io.longattn.job.io.TensorFiles;
import io.longattn.job.io.TensorWriter;
import io.longattn.job.UserError;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;

/** bin/longattn gen: random Q/K/V files, written block by block (never all in memory). */
@Command(name = "gen", description = "Write random Q, K, V tensors (unit variance) to DIR/q, k, v.{npy,arrow}.")
final class GenCommand implements Callable<Integer> {
    static final int BLOCK_TOKENS = 4096;

    @Mixin
    ShapeOptions shape = new ShapeOptions();
    @Option(names = "--seed", paramLabel = "S", description = "Random seed (default 1).")
    long seed = 1;
    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Output directory (created if missing).")
    String out;
    @Option(names = "--format", paramLabel = "npy|arrow", description = "File format (default npy).")
    String format = "npy";
    @Option(names = "--dtype", paramLabel = "float32|float16", description = "Storage type (default float32).")
    String dtype = "float32";
    @Option(names = "--overwrite", description = "Replace existing files.")
    boolean overwrite;

    @Override
    public Integer call() {
        shape.check();
        int seq = shape.seq, heads = shape.heads, dim = shape.dim, sk = shape.sk(), hkv = shape.hkv(), dv = shape.dv();
        if (!format.equals("npy") && !format.equals("arrow")) throw new UserError("--format", "'" + format + "' is not a format", "npy or arrow");
        DType type = switch (dtype) {
            case "float32" -> DType.FLOAT32;
            case "float16" -> DType.FLOAT16;
            default -> throw new UserError("--dtype", "'" + dtype + "' is not a storage type", "float32 or float16");
        };
        Path dir = Path.of(out);
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UserError(out, "cannot create the directory (" + e.getMessage() + ")", "a writable directory");
        }
        long t0 = System.nanoTime();
        String ext = format.equals("npy") ? ".npy" : ".arrow";
        write(dir.resolve("q" + ext).toString(), "q", seq, heads, dim, type, seed * 3 + 1);
        write(dir.resolve("k" + ext).toString(), "k", sk, hkv, dim, type, seed * 3 + 2);
        write(dir.resolve("v" + ext).toString(), "v", sk, hkv, dv, type, seed * 3 + 3);
        System.err.printf("longattn: wrote %s/{q,k,v}%s: Q [%d, %d, %d], K [%d, %d, %d], V [%d, %d, %d] %s in %.1f s%n",
                out, ext, seq, heads, dim, sk, hkv, dim, sk, hkv, dv, dtype, (System.nanoTime() - t0) / 1e9);
        return 0;
    }

    /** Unit-variance uniform values in [-sqrt 3, sqrt 3), block by block. */
    void write(String path, String column, int tokens, int h, int d, DType type, long streamSeed) {
        SplittableRandom rnd = new SplittableRandom(streamSeed);
        int width = h * d;
        float[] block = new float[BLOCK_TOKENS * width];
        final double a = Math.sqrt(3.0);
        try (TensorWriter w = TensorFiles.create(path, column, tokens, h, d, type, overwrite)) {
            for (int t0 = 0; t0 < tokens; t0 += BLOCK_TOKENS) {
                int n = Math.min(BLOCK_TOKENS, tokens - t0);
                for (int i = 0; i < n * width; i++) block[i] = (float) (rnd.nextDouble(-a, a));
                w.append(block, 0, n);
            }
            w.commit();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
