package org.attentionlab.model.exec;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.attentionlab.model.spec.LayerType;

import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * The key/value caches of generation, one per attention layer, and the position being decoded. A sliding layer of
 * window W keeps W slots (Mistral's rolling buffer: position p in slot p mod W, overwriting p - W, which no later
 * query sees); a full layer keeps a slot for every position of the generation (prompt + new tokens), so only full
 * layers grow with the length. Keys and values are {@code [batch, slots, kv_heads x head_dim]}, keys after RoPE.
 *
 * <p>A prefill ({@link ModelExecution#prefill}) fills them from the prompt's forward pass and reads them back once; a
 * decode step ({@link ModelExecution#decodeStep}) sends them to the device on its first execution and keeps them
 * there, reading the position to decode from {@link #position()}, which the host sets before every execution.
 */
public final class KvCaches {

    /** Elements a TornadoVM array (int-indexed) holds. */
    public static final long MAX_ELEMENTS = Integer.MAX_VALUE;

    /**
     * What one attention layer caches: its kind, its window (0 for a full layer), its slots per sequence and the width
     * of a key (kv_heads x head_dim).
     */
    public record Layout(int layer, LayerType kind, int window, int slots, int kvWidth) {

        /** Floats of one of its two buffers (keys or values) for {@code batch} sequences. */
        public long elements(int batch) {
            return (long) batch * slots * kvWidth;
        }

        /** Bytes of its keys and values for {@code batch} sequences. */
        public long bytes(int batch) {
            return 2 * 4 * elements(batch);
        }
    }

    /** One layer's cache. */
    public record LayerCache(Layout layout, FloatArray keys, FloatArray values) {
    }

    private final int batch;
    private final int maxLength;
    private final Map<Integer, LayerCache> byLayer;
    private final IntArray position = new IntArray(1);

    private KvCaches(int batch, int maxLength, Map<Integer, LayerCache> byLayer) {
        this.batch = batch;
        this.maxLength = maxLength;
        this.byLayer = byLayer;
    }

    /** The layouts the attention layers of {@code layers} need to generate up to {@code maxLength} positions. */
    public static List<Layout> layouts(List<Layer> layers, int maxLength) {
        List<Layout> layouts = new ArrayList<>();
        for (Layer layer : layers) {
            layouts.addAll(layer.kvCacheLayouts(maxLength));
        }
        return layouts;
    }

    /**
     * Allocates the caches for {@code batch} sequences of up to {@code maxLength} positions.
     *
     * @throws IllegalArgumentException when a buffer would pass {@link #MAX_ELEMENTS} (check {@link Layout#elements} first)
     */
    public static KvCaches allocate(List<Layout> layouts, int batch, int maxLength) {
        Map<Integer, LayerCache> byLayer = new LinkedHashMap<>();
        for (Layout layout : layouts) {
            long elements = layout.elements(batch);
            if (elements > MAX_ELEMENTS) {
                throw new IllegalArgumentException("the cache of layer " + layout.layer() + " needs " + elements + " elements per buffer, more than "
                        + MAX_ELEMENTS);
            }
            if (byLayer.put(layout.layer(), new LayerCache(layout, new FloatArray((int) elements), new FloatArray((int) elements))) != null) {
                throw new IllegalArgumentException("two caches for layer " + layout.layer());
            }
        }
        return new KvCaches(batch, maxLength, byLayer);
    }

    public int batch() {
        return batch;
    }

    /** The most positions (prompt and generated) the caches hold. */
    public int maxLength() {
        return maxLength;
    }

    /** The cache of attention layer {@code layer} (its index in the config). */
    public LayerCache layer(int layer) {
        LayerCache cache = byLayer.get(layer);
        if (cache == null) {
            throw new IllegalStateException("no key/value cache for layer " + layer);
        }
        return cache;
    }

    public List<LayerCache> layers() {
        return List.copyOf(byLayer.values());
    }

    /** The position being decoded, {@code position()[0]}: read on the device by the decode step's kernels. */
    public IntArray position() {
        return position;
    }

    /** The key and value buffers of {@code layer}'s attention, if it has any. */
    List<Object> buffersOf(Layer layer) {
        List<Object> buffers = new ArrayList<>();
        for (Layout layout : layer.kvCacheLayouts(maxLength)) {
            LayerCache cache = layer(layout.layer());
            buffers.add(cache.keys());
            buffers.add(cache.values());
        }
        return buffers;
    }
}
