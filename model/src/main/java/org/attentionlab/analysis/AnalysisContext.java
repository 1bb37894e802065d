package org.attentionlab.analysis;

import java.util.List;

import org.attentionlab.model.Model;
import org.attentionlab.model.exec.SyntheticInput;

import uk.ac.manchester.tornado.api.common.TornadoDevice;

/**
 * What an {@link Analysis} measures on: the model, the device its forward passes run on, the seeded input of
 * {@code batch} sequences of {@code length} positions, and the shift the position-shift metrics use. The attention
 * probabilities on that input are computed once and shared by every metric that asks.
 */
public final class AnalysisContext {

    private final Model model;
    private final TornadoDevice device;
    private final int length;
    private final int batch;
    private final int shift;
    private final long seed;
    private List<AttentionProbe.LayerAttention> attention;

    public AnalysisContext(Model model, TornadoDevice device, int length, int batch, int shift, long seed) {
        if (shift >= length) {
            throw new IllegalArgumentException("the shift " + shift + " must be shorter than the length " + length);
        }
        this.model = model;
        this.device = device;
        this.length = length;
        this.batch = batch;
        this.shift = shift;
        this.seed = seed;
    }

    public Model model() {
        return model;
    }

    public TornadoDevice device() {
        return device;
    }

    public int length() {
        return length;
    }

    public int batch() {
        return batch;
    }

    public int shift() {
        return shift;
    }

    /** The analysis input: seeded token ids or standard-normal features. */
    public AttentionProbe.Input input() {
        return randomInput(length, seed);
    }

    /** {@code positions} seeded positions of input (token ids or features), for {@code batch} sequences. */
    public AttentionProbe.Input randomInput(int positions, long inputSeed) {
        if (model.takesTokenIds()) {
            return new AttentionProbe.Input(batch, positions, SyntheticInput.tokenIds(batch * positions, model.vocabSize(), inputSeed), null);
        }
        return new AttentionProbe.Input(batch, positions, null, SyntheticInput.features(batch * positions * model.inputWidth(), inputSeed));
    }

    /** The attention probabilities of every layer on {@link #input()}, computed on first use. */
    public List<AttentionProbe.LayerAttention> attention() {
        if (attention == null) {
            attention = AttentionProbe.measure(model, input(), device);
        }
        return attention;
    }
}
