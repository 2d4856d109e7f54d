package io.longattn.kernels;

/** IEEE 754 binary16 conversions (Float.float16ToFloat exists only from JDK 20). */
public final class Half {
    private Half() {
    }

    public static float toFloat(short h) {
        int bits = h & 0xffff;
        int sign = (bits & 0x8000) << 16;
        int exp = (bits >>> 10) & 0x1f;
        int mant = bits & 0x3ff;
        if (exp == 0x1f) {
            return Float.intBitsToFloat(sign | 0x7f800000 | (mant << 13));
        }
        if (exp == 0) {
            if (mant == 0) return Float.intBitsToFloat(sign);
            // subnormal: value = mant * 2^-24
            float v = mant * 0x1p-24f;
            return sign != 0 ? -v : v;
        }
        return Float.intBitsToFloat(sign | ((exp + 112) << 23) | (mant << 13));
    }

    /** Round-to-nearest-even conversion of a float to binary16 bits. */
    public static short fromFloat(float f) {
        int bits = Float.floatToRawIntBits(f);
        int sign = (bits >>> 16) & 0x8000;
        int val = bits & 0x7fffffff;
        if (val >= 0x7f800000) { // inf or nan
            return (short) (sign | 0x7c00 | (val > 0x7f800000 ? 0x200 : 0));
        }
        if (val >= 0x477ff000) { // rounds to >= 65520: overflow to inf
            return (short) (sign | 0x7c00);
        }
        if (val < 0x38800000) { // below the smallest normal half: subnormal or zero
            if (val < 0x33000000) return (short) sign; // < 2^-25 rounds to zero
            int exp = val >>> 23;
            int mant = (val & 0x7fffff) | 0x800000;
            // value = mant * 2^(exp-150); in units of 2^-24: mant * 2^(exp-126)
            int s = 126 - exp;
            int q = mant >>> s;
            int rem = mant & ((1 << s) - 1);
            int halfway = 1 << (s - 1);
            if (rem > halfway || (rem == halfway && (q & 1) != 0)) q++;
            return (short) (sign | q);
        }
        int exp = (val >>> 23) - 112;
        int mant = val & 0x7fffff;
        int q = (exp << 10) | (mant >>> 13);
        int rem = mant & 0x1fff;
        if (rem > 0x1000 || (rem == 0x1000 && (q & 1) != 0)) q++;
        return (short) (sign | q);
    }
}
