package io.longattn.kernels;

import java.io.Serializable;

/**
 * What one attention call computes: shapes and options, with FlashAttention's semantics.
 *
 * <p>Q is [sq, hq, d], K is [sk, hkv, d], V is [sk, hkv, dv]. Query head h reads kv head
 * h / groupSize() (MHA when hq == hkv, GQA when 1 < hkv < hq, MQA when hkv == 1).
 * A window bound of -1 means unbounded; causal is the window (windowLeft, 0), bottom-right aligned.
 * softcap 0 means no soft-capping. precision is the arithmetic of the two products (FP32, exact, unless
 * asked otherwise).
 */
public record AttentionSpec(int sq, int sk, int hq, int hkv, int d, int dv,
                            double scale, boolean causal, int windowLeft, int windowRight,
                            double softcap, Precision precision) implements Serializable {

    public static final double LOG2_E = 1.4426950408889634;
    public static final double LN_2 = 0.6931471805599453;

    public AttentionSpec {
        positive("sq (query sequence length)", sq);
        positive("sk (key sequence length)", sk);
        positive("hq (query heads)", hq);
        positive("hkv (kv heads)", hkv);
        positive("d (head_dim)", d);
        positive("dv (value head_dim)", dv);
        if (hq % hkv != 0) {
            throw new IllegalArgumentException("query heads " + hq + " is not a multiple of kv heads " + hkv
                    + ", expected hq % hkv == 0");
        }
        if (!(scale > 0) || Double.isInfinite(scale)) {
            throw new IllegalArgumentException("scale " + scale + " is invalid, expected a finite number > 0");
        }
        if (windowLeft < -1 || windowRight < -1) {
            throw new IllegalArgumentException("window (" + windowLeft + "," + windowRight
                    + ") is invalid, expected each bound >= -1 (-1 = unbounded)");
        }
        if (softcap < 0 || Double.isNaN(softcap) || Double.isInfinite(softcap)) {
            throw new IllegalArgumentException("softcap " + softcap + " is invalid, expected a finite number > 0 (or 0 for none)");
        }
        if (precision == null) throw new IllegalArgumentException("precision is required, expected one of fp32, tf32, fp16, bf16");
    }

    /** The exact (FP32) spec. */
    public AttentionSpec(int sq, int sk, int hq, int hkv, int d, int dv, double scale, boolean causal, int windowLeft,
                         int windowRight, double softcap) {
        this(sq, sk, hq, hkv, d, dv, scale, causal, windowLeft, windowRight, softcap, Precision.FP32);
    }

    private static void positive(String what, int v) {
        if (v <= 0) {
            throw new IllegalArgumentException(what + " " + v + " is invalid, expected > 0");
        }
    }

    /** The default scale, 1/sqrt(d). */
    public static double defaultScale(int d) {
        return 1.0 / Math.sqrt(d);
    }

    /** Plain attention with the default scale and no mask. */
    public static AttentionSpec of(int sq, int sk, int hq, int hkv, int d, int dv) {
        return new AttentionSpec(sq, sk, hq, hkv, d, dv, defaultScale(d), false, -1, -1, 0);
    }

    public AttentionSpec withCausal(boolean c) {
        return new AttentionSpec(sq, sk, hq, hkv, d, dv, scale, c, windowLeft, windowRight, softcap, precision);
    }

    public AttentionSpec withWindow(int left, int right) {
        return new AttentionSpec(sq, sk, hq, hkv, d, dv, scale, causal, left, right, softcap, precision);
    }

    public AttentionSpec withScale(double s) {
        return new AttentionSpec(sq, sk, hq, hkv, d, dv, s, causal, windowLeft, windowRight, softcap, precision);
    }

    public AttentionSpec withSoftcap(double c) {
        return new AttentionSpec(sq, sk, hq, hkv, d, dv, scale, causal, windowLeft, windowRight, c, precision);
    }

    public AttentionSpec withPrecision(Precision p) {
        return new AttentionSpec(sq, sk, hq, hkv, d, dv, scale, causal, windowLeft, windowRight, softcap, p);
    }

    /** Query heads served by one kv head. */
    public int groupSize() {
        return hq / hkv;
    }

    public boolean hasSoftcap() {
        return softcap > 0;
    }

    /**
     * The factor folded into Q once per query chunk, so the inner loop never scales a score.
     * Without softcap the kernel's scores come out in log2 units (scale * log2 e) and it can use exp2.
     * With softcap c the kernel computes c * log2e * tanh(q' . k) with q' = q * scale / c.
     */
    public float queryFactor() {
        return (float) (hasSoftcap() ? scale / softcap : scale * LOG2_E);
    }

    /** With softcap: the factor applied after tanh, c * log2 e. */
    public float softcapFactor() {
        return (float) (softcap * LOG2_E);
    }

    public MaskGeometry mask() {
        return new MaskGeometry(sq, sk, causal ? windowLeft : windowLeft, causal ? 0 : windowRight);
    }

    /** FLOPs of the whole call, counting only unmasked pairs: 2 * pairs * hq * (d + dv). */
    public double flops() {
        return 2.0 * mask().unmaskedPairs(0, sq) * hq * (double) (d + dv);
    }

    public String describe() {
        StringBuilder sb = new StringBuilder();
        sb.append("Sq=").append(sq).append(" Sk=").append(sk).append(" Hq=").append(hq).append(" Hkv=").append(hkv)
                .append(" D=").append(d).append(" Dv=").append(dv);
        if (causal) sb.append(" causal");
        if (windowLeft >= 0 || (!causal && windowRight >= 0)) {
            sb.append(" window=(").append(windowLeft).append(',').append(causal ? 0 : windowRight).append(')');
        }
        if (hasSoftcap()) sb.append(" softcap=").append(softcap);
        if (precision != Precision.FP32) sb.append(' ').append(precision.id());
        if (Math.abs(scale - defaultScale(d)) > 1e-12 * scale) sb.append(" scale=").append(scale);
        return sb.toString();
    }
}
