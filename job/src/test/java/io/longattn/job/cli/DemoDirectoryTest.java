package io.longattn.job.cli;

import io.longattn.job.UserError;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The demo's directory: under $TMPDIR, one per user, and never a directory some other program filled. */
class DemoDirectoryTest {
    @TempDir
    Path dir;

    @Test
    void defaultIsPerUserUnderTmpdir() {
        assertEquals(Path.of("/scratch/me", "longattn-demo-ana"), DemoCommand.defaultDir(Map.of("TMPDIR", "/scratch/me"), "/tmp", "ana"));
        assertEquals(Path.of("/tmp", "longattn-demo-bo"), DemoCommand.defaultDir(Map.of(), "/tmp", "bo"));
        assertEquals(Path.of("/tmp", "longattn-demo-x_y"), DemoCommand.defaultDir(Map.of("TMPDIR", " "), "/tmp", "x/y"));
    }

    @Test
    void claimsNewEmptyOrItsOwnDirectoriesOnly() throws Exception {
        Path fresh = dir.resolve("fresh");
        DemoCommand.claim(fresh, false);
        assertTrue(Files.exists(fresh.resolve(DemoCommand.MARKER)));
        Files.writeString(fresh.resolve("q.npy"), "an earlier demo's file");
        DemoCommand.claim(fresh, false); // its own directory: a later demo replaces its files

        Path foreign = Files.createDirectories(dir.resolve("foreign"));
        Files.writeString(foreign.resolve("q.npy"), "someone's data");
        UserError e = assertThrows(UserError.class, () -> DemoCommand.claim(foreign, false));
        assertTrue(e.getMessage().startsWith(foreign + ": is not empty and was not made by longattn demo"), e.getMessage());
        assertTrue(e.getMessage().contains("--overwrite"), e.getMessage());
        assertEquals("someone's data", Files.readString(foreign.resolve("q.npy")));
        DemoCommand.claim(foreign, true);
        assertTrue(Files.exists(foreign.resolve(DemoCommand.MARKER)));
    }
}
