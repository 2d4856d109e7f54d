package io.longattn.kernels;

/**
 * Queries [q0, q0 + tokens) of the query heads of one kv head group, already multiplied by
 * {@link AttentionSpec#queryFactor()} (the scale folded in once, with log2 e). Layout [tokens][heads][d],
 * row r = token r / heads. Buffers are sized for a capacity and reused chunk after chunk.
 */
public final class QueryChunk {
    public final int capacityTokens;
    public final int heads;
    public final int d;
    public final float[] data;
    private int q0;
    private int tokens;

    public QueryChunk(int capacityTokens, int heads, int d) {
        this.capacityTokens = capacityTokens;
        this.heads = heads;
        this.d = d;
        this.data = new float[capacityTokens * heads * d];
    }

    public int q0() {
        return q0;
    }

    public int tokens() {
        return tokens;
    }

    public int rows() {
        return tokens * heads;
    }

    /** Token (absolute query index) of row r. */
    public int tokenOfRow(int r) {
        return q0 + r / heads;
    }

    /**
     * Loads the chunk from a token-major source holding [tokens][allHeads][d] for these tokens,
     * taking heads [firstHead, firstHead + heads) and folding in factor.
     */
    public void load(int q0, int tokens, float[] src, int srcOffset, int allHeads, int firstHead, float factor) {
        if (tokens > capacityTokens) {
            throw new IllegalArgumentException("query chunk of " + tokens + " tokens exceeds capacity " + capacityTokens);
        }
        this.q0 = q0;
        this.tokens = tokens;
        int rowLen = heads * d;
        for (int t = 0; t < tokens; t++) {
            int s = srcOffset + (t * allHeads + firstHead) * d;
            int o = t * rowLen;
            for (int i = 0; i < rowLen; i++) {
                data[o + i] = src[s + i] * factor;
            }
        }
    }
}
