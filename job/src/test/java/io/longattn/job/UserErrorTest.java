package io.longattn.job;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class UserErrorTest {
    @Test
    void messageEscapesWhatWouldRewriteTheTerminal() {
        UserError e = new UserError("q.npy", "has the dtype 'a\r\u001b[2K\u001b[31mb'", "float32\u0085\u2028\u202e\ue000");
        assertEquals("q.npy: has the dtype 'a\\x0d\\x1b[2K\\x1b[31mb', expected float32\\x85\\u2028\\u202e\\ue000",
                e.getMessage());
        // the parts keep what the user wrote; only the printed line is escaped
        assertEquals("has the dtype 'a\r\u001b[2K\u001b[31mb'", e.problem());
    }

    @Test
    void printableTextStaysAsItIs() {
        String text = "/tmp/x/ö2.npy: naïve 日本 \uD83D\uDE00 \\x93NUMPY, expected (S, H, D)";
        assertEquals(text, UserError.printable(text));
        assertEquals("\\ud800 \\U000e0001", UserError.printable("\uD800 \uDB40\uDC01"));
    }
}
