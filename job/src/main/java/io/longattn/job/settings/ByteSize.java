package io.longattn.job.settings;

import java.util.Locale;

/** Byte sizes as users write them: 123, 64k, 256m, 2g, 1t (binary multiples, an optional trailing b). */
public final class ByteSize {
    private ByteSize() {
    }

    /**
     * A Spark memory setting (spark.executor.memory, spark.driver.memory) in bytes: Spark reads a bare number
     * there as MiB, not bytes; a NumberFormatException when it is not a size.
     */
    public static long sparkMemory(String raw) {
        String t = raw.trim();
        if (t.matches("\\d+")) return Math.multiplyExact(Long.parseLong(t), 1L << 20);
        return parse(t);
    }

    /** The size in bytes; a NumberFormatException (an IllegalArgumentException) when it is not one. */
    public static long parse(String raw) {
        String t = raw.trim().toLowerCase(Locale.ROOT);
        if (t.endsWith("b")) t = t.substring(0, t.length() - 1);
        long mult = 1;
        if (t.endsWith("k")) mult = 1L << 10;
        else if (t.endsWith("m")) mult = 1L << 20;
        else if (t.endsWith("g")) mult = 1L << 30;
        else if (t.endsWith("t")) mult = 1L << 40;
        if (mult > 1) t = t.substring(0, t.length() - 1);
        try {
            return Math.multiplyExact(Long.parseLong(t.trim()), mult);
        } catch (ArithmeticException e) {
            throw new NumberFormatException("too large: " + raw);
        }
    }
}
