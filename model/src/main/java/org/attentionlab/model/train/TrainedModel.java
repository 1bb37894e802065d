package org.attentionlab.model.train;

import java.nio.file.Path;
import java.util.List;

import org.attentionlab.model.Model;
import org.attentionlab.model.config.ConfigLoader;
import org.attentionlab.model.config.TrainingConfig;

/**
 * The model a training checkpoint holds, for the commands that use what was trained ({@code scripts/run generate}):
 * built from the resolved config in its metadata, with its trained parameters (the optimizer's state left out).
 */
public final class TrainedModel {

    /** The model and the step the checkpoint was written at. */
    public record Loaded(Model model, long step) {
    }

    private TrainedModel() {
    }

    /**
     * Reads {@code checkpointFile}; a file that is not a checkpoint of {@code scripts/run train}, or one whose tensors do
     * not fit its config, is a {@link CheckpointException} (one line naming the file).
     */
    public static Loaded load(Path checkpointFile) {
        Checkpoint checkpoint = Checkpoint.read(checkpointFile);
        TrainingConfig config = ConfigLoader.parseTraining(checkpoint.config(), checkpointFile, List.of());
        Model model = Model.build(config.model());
        checkpoint.restore(model, null);
        return new Loaded(model, checkpoint.step());
    }
}
