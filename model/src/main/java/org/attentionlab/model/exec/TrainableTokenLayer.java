package org.attentionlab.model.exec;

import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/** A first layer that reads token ids and can be trained; its backward returns no input gradient. */
public interface TrainableTokenLayer extends TokenLayer, TrainableLayer {

    TrainingForward addTrainingForward(TrainingTasks tasks, IntArray tokenIds);

    @Override
    default TrainingForward addTrainingForward(TrainingTasks tasks, FloatArray input) {
        throw new IllegalStateException(describe() + " reads token ids, not features");
    }
}
