package io.longattn.partitioner;

/**
 * A plan request that cannot be planned. {@link #input()} names the request field at fault, so a
 * caller maps it to its own flag or setting; problem and expected are the two halves of its message.
 */
public final class ChunkPlanException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    /** The request field at fault. */
    public enum Input {
        QUERY_CHUNK, KV_CHUNK, TASK_MEMORY
    }

    private final Input input;
    private final String problem;
    private final String expected;

    public ChunkPlanException(Input input, String problem, String expected) {
        super(input.name().toLowerCase(java.util.Locale.ROOT).replace('_', ' ') + ": " + problem + ", expected " + expected);
        this.input = input;
        this.problem = problem;
        this.expected = expected;
    }

    public Input input() {
        return input;
    }

    /** What is wrong with the value, e.g. "1048577 is out of range". */
    public String problem() {
        return problem;
    }

    /** What would be accepted, e.g. "1..1048576". */
    public String expected() {
        return expected;
    }
}
