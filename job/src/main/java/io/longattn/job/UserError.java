package io.longattn.job;

/**
 * A mistake of the user's (a bad file, a bad flag), as opposed to a bug. The message is a contract:
 * {@code <file or flag>: <what is wrong>, expected <what>}, e.g.
 * {@code k.npy: head_dim 32 does not match q.npy head_dim 64, expected 64}. The CLI prints
 * {@code longattn: } + the message and exits with status 2.
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
        super(subject + ": " + problem + ", expected " + expected, cause);
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
}
