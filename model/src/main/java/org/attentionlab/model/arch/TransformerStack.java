package org.attentionlab.model.arch;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import org.attentionlab.model.config.ModelSpec;
import org.attentionlab.model.exec.Layer;
import org.attentionlab.model.layers.InputEncoding;
import org.attentionlab.model.layers.OutputHead;
import org.attentionlab.model.layers.TransformerBlock;
import org.attentionlab.model.spec.BlockSpec;
import org.attentionlab.model.spec.InputSpec;
import org.attentionlab.model.spec.Norm;
import org.attentionlab.model.spec.NormPosition;
import org.attentionlab.model.weights.Parameters;

/**
 * input encoding → one transformer block per layer → output head: what the transformer architectures share. Each
 * architecture decides what differs (when there is an input projection).
 */
final class TransformerStack {

    private TransformerStack() {
    }

    static List<Layer> layers(ModelSpec spec, Parameters parameters, boolean inputProjection) {
        InputSpec.Features input = (InputSpec.Features) spec.input();
        int hidden = spec.hiddenSize();
        List<Layer> layers = new ArrayList<>();
        layers.add(new InputEncoding(parameters, input.embedDim(), hidden, inputProjection, input.sinusoidal()));
        for (BlockSpec block : spec.blocks()) {
            layers.add(new TransformerBlock(block, parameters, hidden));
        }
        // Post-norm blocks end normalised; pre-norm and parallel stacks end with a final norm.
        boolean finalNorm = spec.normPosition() != NormPosition.POST && spec.norm().kind() != Norm.NONE;
        layers.add(new OutputHead(parameters, finalNorm ? Optional.of(spec.norm()) : Optional.empty(), hidden, spec.output()));
        return layers;
    }

    /** Whether an input projection embed_dim → hidden_size is needed: only when the two differ. */
    static boolean widthsDiffer(ModelSpec spec) {
        return ((InputSpec.Features) spec.input()).embedDim() != spec.hiddenSize();
    }
}
