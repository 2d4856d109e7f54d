package io.longattn.job.io;

import io.longattn.job.UserError;

import java.util.Locale;

/** Storage element types. The job always computes in float32; float16 is converted on load and on store. */
public enum DType {
    FLOAT32(4, "float32", "<f4"),
    FLOAT16(2, "float16", "<f2");

    private final int bytes;
    private final String label;
    private final String npyDescr;

    DType(int bytes, String label, String npyDescr) {
        this.bytes = bytes;
        this.label = label;
        this.npyDescr = npyDescr;
    }

    /** Bytes per element. */
    public int bytes() {
        return bytes;
    }

    /** numpy's name: float32 or float16. */
    public String label() {
        return label;
    }

    /** The .npy descr string: {@code <f4} or {@code <f2}. */
    public String npyDescr() {
        return npyDescr;
    }

    @Override
    public String toString() {
        return label;
    }

    /**
     * Parses a user-given dtype name (float32, f32, fp32, float16, f16, fp16, half).
     * @param subject the flag or file named in the UserError when the name is unknown
     */
    public static DType parse(String subject, String name) {
        String n = name == null ? "" : name.trim().toLowerCase(Locale.ROOT);
        switch (n) {
            case "float32": case "f32": case "fp32": case "float": case "<f4":
                return FLOAT32;
            case "float16": case "f16": case "fp16": case "half": case "<f2":
                return FLOAT16;
            default:
                throw new UserError(subject, "'" + name + "' is not a supported dtype", "float32 or float16");
        }
    }
}
