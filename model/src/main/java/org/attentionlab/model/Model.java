package org.attentionlab.model;

import java.util.ArrayList;
import java.util.List;

import org.attentionlab.model.config.Keys;
import org.attentionlab.model.config.ModelSpec;
import org.attentionlab.model.exec.Layer;
import org.attentionlab.model.exec.ModelExecution;
import org.attentionlab.model.exec.RunShape;
import org.attentionlab.model.exec.TokenLayer;
import org.attentionlab.model.layers.ScoreHead;
import org.attentionlab.model.spec.BlockSpec;
import org.attentionlab.model.spec.InputSpec;
import org.attentionlab.model.spec.OutputMode;
import org.attentionlab.model.weights.Parameters;

import uk.ac.manchester.tornado.api.common.TornadoDevice;

/**
 * A model built from its resolved config ({@link ModelSpec}): its parameters (seeded, or loaded from safetensors)
 * and its layers. Batch size and sequence length are chosen per run: {@link #prepare} builds the task graphs for
 * one shape without rebuilding the model.
 */
public final class Model {

    private final ModelSpec spec;
    private final Parameters parameters;
    private final List<Layer> layers;
    private final int inputWidth;

    private Model(ModelSpec spec, Parameters parameters, List<Layer> layers, int inputWidth) {
        this.spec = spec;
        this.parameters = parameters;
        this.layers = layers.stream().filter(l -> !l.isIdentity()).toList();
        this.inputWidth = inputWidth;
    }

    /** Builds the architecture the spec names, with weights initialised from the config's seed. */
    public static Model build(ModelSpec spec) {
        return on(spec, new Parameters(spec.seed()));
    }

    /**
     * The same model with its parameters declared but not allocated ({@link Parameters#shapesOnly()}): its layers,
     * parameter count, FLOPs, buffers and {@link #memory} for any size, in no time and memory; it cannot run.
     */
    public static Model withoutWeights(ModelSpec spec) {
        return on(spec, Parameters.shapesOnly());
    }

    private static Model on(ModelSpec spec, Parameters parameters) {
        List<Layer> layers = new ArrayList<>(spec.architecture().build(spec, parameters));
        spec.settings().find(Keys.NUM_LABELS).ifPresent(labels -> {
            Layer last = layers.get(layers.size() - 1);
            layers.add(new ScoreHead(parameters, last.outputWidth(), labels, spec.output() == OutputMode.LAST || spec.output() == OutputMode.MEAN));
        });
        return new Model(spec, parameters, layers, spec.input() instanceof InputSpec.Features features ? features.embedDim() : 0);
    }

    public ModelSpec spec() {
        return spec;
    }

    public Parameters parameters() {
        return parameters;
    }

    public List<Layer> layers() {
        return layers;
    }

    /** Whether the input is token ids [batch, seq] rather than features [batch, seq, embed_dim]. */
    public boolean takesTokenIds() {
        return layers.get(0) instanceof TokenLayer;
    }

    public int inputWidth() {
        return inputWidth;
    }

    /** Token ids must be below this (models that take token ids only). */
    public int vocabSize() {
        return ((TokenLayer) layers.get(0)).vocabSize();
    }

    /** [batch, width] for pooled outputs, [batch, seq, width] otherwise (Edifice's output_size is the width). */
    public int[] outputShape(int batch, int seqLen) {
        Layer last = layers.get(layers.size() - 1);
        int positions = last.outputPositions(seqLen);
        for (Layer l : layers) {
            positions = Math.min(positions, l.outputPositions(seqLen));
        }
        return positions == seqLen ? new int[] { batch, seqLen, last.outputWidth() } : new int[] { batch, last.outputWidth() };
    }

    /** Edifice's output_size: the width of one output vector. */
    public int outputSize() {
        return layers.get(layers.size() - 1).outputWidth();
    }

    /** The task graphs for one run shape; a sequence length the model cannot run ({@link #checkSeqLen}) is an input error. */
    public ModelExecution prepare(RunShape shape, TornadoDevice device) {
        if (!parameters.allocated()) {
            throw new IllegalStateException("a model built without weights can be described, not run");
        }
        checkSeqLen(shape.seqLen());
        return ModelExecution.prepare(layers, inputWidth, shape, device, executionOptions());
    }

    /** How the config lays runs out on a device: {@code work_group_items}, {@code vector_lanes} and {@code layers_per_graph}, where it sets them. */
    public ModelExecution.Options executionOptions() {
        return new ModelExecution.Options(spec.settings().find(Keys.WORK_GROUP_ITEMS).orElse(null), spec.settings().find(Keys.VECTOR_LANES).orElse(null),
                spec.settings().find(Keys.LAYERS_PER_GRAPH).orElse(null),
                spec.source().toString());
    }

    /** Refuses a sequence length that a global token lies at or past (an input error naming the config). */
    public void checkSeqLen(int seqLen) {
        for (BlockSpec block : spec.blocks()) {
            List<Integer> globals = block.attention().mask().globalTokens();
            if (!globals.isEmpty() && globals.get(globals.size() - 1) >= seqLen) {
                throw new InputException(spec.source() + ": global_tokens: position " + globals.get(globals.size() - 1) + " is outside a sequence of "
                        + seqLen + " positions (use a longer sequence or drop the position)");
            }
        }
    }

    public long flops(int batch, int seqLen) {
        long f = 0;
        for (Layer l : layers) {
            f += l.flops(batch, seqLen);
        }
        return f;
    }

    /** What a run of this shape holds in memory, from the layers' own sizes (nothing is allocated). */
    public MemoryEstimate memory(int batch, int seqLen) {
        return MemoryEstimate.of(this, batch, seqLen, MemoryEstimate.HeapLayout.ofThisJvm());
    }
}
