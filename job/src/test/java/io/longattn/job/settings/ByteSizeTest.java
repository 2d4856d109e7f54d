package io.longattn.job.settings;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class ByteSizeTest {
    @Test
    void userSizesAreBytesWithBinaryMultiples() {
        assertEquals(123, ByteSize.parse("123"));
        assertEquals(64L << 10, ByteSize.parse("64k"));
        assertEquals(256L << 20, ByteSize.parse("256MB"));
        assertEquals(2L << 30, ByteSize.parse(" 2g "));
        assertEquals(1L << 40, ByteSize.parse("1t"));
        assertThrows(NumberFormatException.class, () -> ByteSize.parse("lots"));
        assertThrows(NumberFormatException.class, () -> ByteSize.parse("99999999999g"));
    }

    @Test
    void sparkMemoryReadsABareNumberAsMebibytesAsSparkDoes() {
        // spark.executor.memory=3072 is 3 GiB to Spark; read as bytes it would shrink every memory-derived limit to nothing
        assertEquals(3072L << 20, ByteSize.sparkMemory("3072"));
        assertEquals(3L << 30, ByteSize.sparkMemory("3g"));
        assertEquals(512L << 20, ByteSize.sparkMemory("512m"));
        assertThrows(NumberFormatException.class, () -> ByteSize.sparkMemory("3 gigs"));
    }
}
