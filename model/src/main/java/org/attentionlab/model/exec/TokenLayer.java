package org.attentionlab.model.exec;

import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/** A first layer that reads token ids [batch, seq] instead of float features. */
public interface TokenLayer extends Layer {

    FloatArray addTasks(LayerTasks tasks, IntArray tokenIds);

    @Override
    default FloatArray addTasks(LayerTasks tasks, FloatArray input) {
        throw new IllegalStateException(describe() + " reads token ids, not features");
    }

    /** Token ids must be below this. */
    int vocabSize();
}
