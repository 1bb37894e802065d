package org.attentionlab.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.attentionlab.kernels.AttentionLaunch.Algorithm;
import org.attentionlab.kernels.AttentionMasks.Window;
import org.junit.jupiter.api.Test;

import uk.ac.manchester.tornado.api.TaskGraph;
import uk.ac.manchester.tornado.api.WorkerGrid;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;

/** What the launch owns besides the call itself (the calls are checked by every attention test through AttentionRunner). */
class AttentionLaunchTest {

    private static AttentionLaunch launch(Algorithm algorithm) {
        Window w = Window.causalSliding(4);
        return new AttentionLaunch(algorithm, 2, 10, 4, 2, 8, AttentionMasks.windows(4, w), true, AttentionMasks.globalTokens(), 0, PositionalBiases.NONE,
                PositionalBiases.noSlopes(), 0f, 0.25f, 3);
    }

    @Test
    void scratchIsWhatTheKernelsAskForAndOnlyFlashHasAGrid() {
        assertEquals(AttentionKernels.standardScratchSize(2, 4, 10, AttentionMasks.windows(4, Window.causalSliding(4)), 0), launch(Algorithm.STANDARD).scratchSize());
        assertEquals(AttentionKernels.chunkedScratchSize(2, 4, 3, 10, AttentionMasks.windows(4, Window.causalSliding(4)), 0), launch(Algorithm.CHUNKED).scratchSize());
        assertEquals(0, launch(Algorithm.MEMORY_EFFICIENT).scratchSize());
        assertEquals(0, launch(Algorithm.FLASH).scratchSize());
        assertEquals(0, launch(Algorithm.FLASH_TILED).scratchSize());
        for (Algorithm algorithm : Algorithm.values()) {
            boolean flash = algorithm == Algorithm.FLASH || algorithm == Algorithm.FLASH_TILED;
            assertEquals(flash, algorithm.isFlash(), algorithm.toString());
            assertEquals(flash, launch(algorithm).grid().isPresent(), algorithm.toString());
        }
        for (Algorithm flash : new Algorithm[] { Algorithm.FLASH, Algorithm.FLASH_TILED }) {
            WorkerGrid grid = launch(flash).grid().orElseThrow();
            assertArrayEquals(AttentionKernels.flashGrid(2, 4, 10).getGlobalWork(), grid.getGlobalWork());
            assertArrayEquals(AttentionKernels.flashGrid(2, 4, 10).getLocalWork(), grid.getLocalWork());
        }
    }

    @Test
    void refusesWhatCannotRun() {
        FloatArray q = new FloatArray(2 * 10 * 4 * 8);
        FloatArray kv = new FloatArray(2 * 10 * 2 * 8);
        FloatArray tooSmall = new FloatArray(launch(Algorithm.STANDARD).scratchSize() - 1);
        assertThrows(IllegalArgumentException.class, () -> launch(Algorithm.STANDARD).call(q, kv, kv, q, tooSmall));
        assertThrows(IllegalArgumentException.class, () -> launch(Algorithm.CHUNKED).addTask(new TaskGraph("g"), "t", q, kv, kv, q, null));
        assertThrows(IllegalArgumentException.class, () -> launch(Algorithm.MEMORY_EFFICIENT).call(kv, kv, kv, kv, null));
        IllegalStateException flash = assertThrows(IllegalStateException.class, () -> launch(Algorithm.FLASH).call(q, kv, kv, q, null));
        assertTrue(flash.getMessage().contains("worker grid"), flash.getMessage());
        assertThrows(IllegalStateException.class, () -> launch(Algorithm.FLASH_TILED).call(q, kv, kv, q, null));
        Window w = Window.causalSliding(4);
        assertThrows(IllegalArgumentException.class, () -> new AttentionLaunch(Algorithm.CHUNKED, 1, 4, 1, 1, 4, AttentionMasks.windows(1, w), true,
                AttentionMasks.globalTokens(), 0, PositionalBiases.NONE, PositionalBiases.noSlopes(), 0f, 1f, 0));
    }
}
