package io.longattn.job;

/** "1 partition", "2 partitions": counts in the lines LongAttn prints. */
public final class Plural {
    private Plural() {
    }

    /** The count and the noun, with an s unless the count is 1. */
    public static String of(long count, String noun) {
        return of(count, noun, noun + "s");
    }

    public static String of(long count, String singular, String plural) {
        return count + " " + (count == 1 ? singular : plural);
    }
}
