package io.longattn.job;

/**
 * A mistake of the user's (a bad file, a bad flag), as opposed to a bug. The message is a contract:
 * {@code <file or flag>: <what is wrong>, expected <what>}, e.g.
 * {@code k.npy: head_dim 32 does not match q.npy head_dim 64, expected 64}. The CLI prints
 * {@code longattn: } + the message and exits with status 2.
 *
 * <p>The message is escaped ({@link #printable}): problems quote bytes from the user's files, and a header
 * holding {@code \r} or an ANSI escape would otherwise rewrite the user's terminal line.
 */
public class UserError extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final String subject;
    private final String problem;
    private final String expected;

    public UserError(String subject, String problem, String expected) {
        this(subject, problem, expected, null);
    }

    public UserError(String subject, String problem, String expected, Throwable cause) {
        super(printable(subject + ": " + problem + ", expected " + expected), cause);
        this.subject = subject;
        this.problem = problem;
        this.expected = expected;
    }

    /** The file or flag at fault, as the user wrote it. */
    public String subject() {
        return subject;
    }

    /** What is wrong. */
    public String problem() {
        return problem;
    }

    /** What was expected instead. */
    public String expected() {
        return expected;
    }

    /**
     * The text with control characters as {@code \xNN} and other characters a terminal does not print as
     * themselves (format, separators, private use, unassigned, lone surrogates) as {@code \}{@code uNNNN};
     * printable non-ASCII such as {@code ö} stays, since paths may hold it.
     */
    public static String printable(String text) {
        StringBuilder sb = null;
        for (int i = 0; i < text.length(); ) {
            int cp = text.codePointAt(i);
            int n = Character.charCount(cp);
            String escaped = escape(cp);
            if (escaped != null && sb == null) sb = new StringBuilder(text.length() + 16).append(text, 0, i);
            if (sb != null) {
                if (escaped != null) sb.append(escaped);
                else sb.appendCodePoint(cp);
            }
            i += n;
        }
        return sb == null ? text : sb.toString();
    }

    private static String escape(int cp) {
        if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f)) return String.format("\\x%02x", cp);
        switch (Character.getType(cp)) {
            case Character.FORMAT, Character.LINE_SEPARATOR, Character.PARAGRAPH_SEPARATOR, Character.PRIVATE_USE,
                    Character.UNASSIGNED, Character.SURROGATE:
                return cp <= 0xffff ? String.format("\\u%04x", cp) : String.format("\\U%08x", cp);
            default:
                return null;
        }
    }
}
