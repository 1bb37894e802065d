package org.attentionlab.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;

import org.junit.jupiter.api.Test;

/** What scripts/run train shows on stderr: a status line rewritten in place on a terminal, lines elsewhere. */
class TrainingProgressTest {

    @Test
    void onATerminalOneStatusLineWithNotesAboveIt() {
        StringWriter text = new StringWriter();
        TrainCommand.TrainingProgress progress = new TrainCommand.TrainingProgress(new PrintWriter(text), true);
        progress.stepped(1, 4, 2.5, 0.25, 1e-3, 1234.4, Double.NaN, false);
        progress.stepped(2, 4, 2.25, 0.5, 1e-3, 2000, 65, false);
        progress.evaluated(2, 64, 2.0, 0.75);
        progress.finish();
        String shown = text.toString();
        assertTrue(shown.startsWith("\r[######------------------] step 1/4 loss 2.5000 acc 25.0% lr 1.00e-03 1,234 tokens/s ETA -\u001b[K"), shown);
        assertTrue(shown.contains("\r[############------------] step 2/4 loss 2.2500 acc 50.0% lr 1.00e-03 2,000 tokens/s ETA 1m05s\u001b[K"), shown);
        assertTrue(shown.endsWith("\r\u001b[Keval at step 2, length 64: loss 2.0000, accuracy 75.0%\n"), shown);
    }

    @Test
    void elsewhereALineEveryLogInterval() {
        StringWriter text = new StringWriter();
        TrainCommand.TrainingProgress progress = new TrainCommand.TrainingProgress(new PrintWriter(text), false);
        progress.stepped(1, 20, 2.5, Double.NaN, 1e-3, 100, 7300, false);
        progress.stepped(10, 20, 2.0, Double.NaN, 1e-3, 100, 7300, true);
        progress.finish();
        assertEquals("step 10/20 loss 2.0000 lr 1.00e-03 100 tokens/s ETA 2h01m\n", text.toString());
    }
}
