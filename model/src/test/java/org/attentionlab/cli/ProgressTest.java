package org.attentionlab.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.PrintWriter;
import java.io.StringWriter;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** What a run shows of its progress, on a terminal and elsewhere. */
class ProgressTest {

    private final StringWriter err = new StringWriter();

    @AfterEach
    void notATerminalAgain() {
        System.clearProperty(Progress.TERMINAL_PROPERTY);
    }

    private String stages(Boolean requested, boolean json, String... stages) {
        try (Progress progress = Progress.forRun(requested, json, new PrintWriter(err, true))) {
            for (String s : stages) {
                progress.stage(s);
            }
        }
        return err.toString();
    }

    @Test
    void onATerminalOneStatusLineIsRewrittenAndErasedAtTheEnd() {
        System.setProperty(Progress.TERMINAL_PROPERTY, "true");
        assertEquals("\rbuilding\u001b[K\rrun 1 of 2\u001b[K\r\u001b[K", stages(true, false, "building", "run 1 of 2"));
    }

    @Test
    void onATerminalAQuickRunShowsNothing() {
        System.setProperty(Progress.TERMINAL_PROPERTY, "true");
        assertEquals("", stages(null, false, "building", "run 1 of 1"));
    }

    @Test
    void jsonOrNoProgressTurnItOff() {
        System.setProperty(Progress.TERMINAL_PROPERTY, "true");
        assertEquals("", stages(false, false, "building"));
        assertEquals("", stages(null, true, "building"));
    }

    @Test
    void elsewhereItIsOffUnlessAskedAndThenOneLinePerStage() {
        assertEquals("", stages(null, false, "building"));
        assertEquals("progress: building\nprogress: run 1 of 1\n", stages(true, false, "building", "run 1 of 1").replace("\r\n", "\n"));
    }
}
