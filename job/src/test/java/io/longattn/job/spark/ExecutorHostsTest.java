package io.longattn.job.spark;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ExecutorHostsTest {
    /** An address of TEST-NET-2 (RFC 5737): never an address of this machine. */
    private static final String ELSEWHERE = "198.51.100.7";

    @Test
    void localMastersAndLoopbackStandaloneMastersRunEveryExecutorHere() {
        for (String master : List.of("local", "local[2]", "local[*]", "local-cluster[2,1,1024]", "spark://127.0.0.1:7077",
                "spark://localhost:7077,127.0.0.1:7078")) {
            ExecutorHosts h = ExecutorHosts.of(master, () -> {
                throw new AssertionError("the master URL decides: " + master);
            });
            assertTrue(h.onThisMachine(), master + ": " + h.reason());
        }
    }

    @Test
    void otherMastersAskWhereTheRegisteredExecutorsRun() {
        ExecutorHosts none = ExecutorHosts.of("spark://" + ELSEWHERE + ":7077", List::of);
        assertFalse(none.onThisMachine());
        assertEquals("no executor has registered yet", none.reason());
        assertFalse(ExecutorHosts.of("spark://" + ELSEWHERE + ":7077", () -> List.of("127.0.0.1")).onThisMachine(),
                "the driver alone is no executor");

        ExecutorHosts here = ExecutorHosts.of("yarn", () -> List.of("127.0.0.1", "127.0.0.1", "localhost"));
        assertTrue(here.onThisMachine(), here.reason());
        assertEquals("all 2 executors on this machine", here.reason());

        ExecutorHosts there = ExecutorHosts.of("yarn", () -> List.of("127.0.0.1", "127.0.0.1", ELSEWHERE));
        assertFalse(there.onThisMachine());
        assertTrue(there.reason().contains(ELSEWHERE + " is another machine"), there.reason());
        assertFalse(ExecutorHosts.of("spark://127.0.0.1:7077," + ELSEWHERE + ":7077", () -> List.of("127.0.0.1", ELSEWHERE))
                .onThisMachine(), "a standby master elsewhere lets workers elsewhere register");
    }

    @Test
    void loopbackAndInterfaceAddressesAreThisMachine() {
        assertTrue(ExecutorHosts.isThisMachine("127.0.0.1"));
        assertTrue(ExecutorHosts.isThisMachine("localhost"));
        assertFalse(ExecutorHosts.isThisMachine(ELSEWHERE));
        assertFalse(ExecutorHosts.isThisMachine("no-such-host.invalid"));
    }
}
