package org.attentionlab.model.exec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.attentionlab.kernels.device.DeviceRuntime;
import org.attentionlab.model.Model;
import org.attentionlab.model.layers.OutputHead;
import org.attentionlab.model.layers.TransformerBlock;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@link FusedAcrossLayersTest}'s forward on a TornadoVM device: the rnope-swa twin over 2 x 64 rows with its layers'
 * tasks fused as a forward pass on 2 cores fuses them (block 0's o_proj and whole feed-forward in one task, block 1's
 * down projection with the final norm) against every step a task of its own, the same output bit for bit. The twins'
 * own device tests run too few rows to fuse anything.
 */
class FusedAcrossLayersOnDeviceIT {

    @BeforeEach
    void requireDevice() {
        DeviceRuntime.assumeDevice();
    }

    @Test
    void theForwardFusedAcrossLayersGivesTheSeparateTasksOutputOnTheDevice() throws Exception {
        FusedAcrossLayersTest.Runs runs = FusedAcrossLayersTest.Runs.of(FusedBlockTasksTest.twin(), 11);
        assertEquals(1, LayerTasks.layersWithTask(runs.fusedTasks(), TransformerBlock.RESIDUAL_FEED_FORWARD_TASK), runs.fusedTasks().keySet().toString());
        assertEquals(1, LayerTasks.layersWithTask(runs.fusedTasks(), OutputHead.RESIDUAL_NORM_TASK), runs.fusedTasks().keySet().toString());
        assertArrayEquals(runs.separate(), runs.fused(), "the model's output on the device, fused across layers against separate tasks");
    }
}
