package org.attentionlab.model.generate;

import java.util.List;

import org.attentionlab.model.exec.KvCaches;
import org.attentionlab.model.spec.LayerType;

/**
 * What the key/value caches of a generation take, by layer kind: sliding layers keep a window of slots each, full
 * layers a slot per position; against what they would take if every layer kept every position (no rolling buffer),
 * which is the saving a sliding/full hybrid buys.
 *
 * @param maxLength positions the generation spans (prompt and new tokens)
 */
public record CacheMemory(List<KvCaches.Layout> layouts, int batch, int maxLength) {

    public CacheMemory {
        layouts = List.copyOf(layouts);
    }

    /** The layers of one kind: how many, their slots and bytes together. */
    public record Kind(LayerType kind, int layers, long slots, long bytes) {
    }

    public Kind of(LayerType kind) {
        int layers = 0;
        long slots = 0;
        long bytes = 0;
        for (KvCaches.Layout layout : layouts) {
            if (layout.kind() == kind) {
                layers++;
                slots += layout.slots();
                bytes += layout.bytes(batch);
            }
        }
        return new Kind(kind, layers, slots, bytes);
    }

    public long totalBytes() {
        return layouts.stream().mapToLong(layout -> layout.bytes(batch)).sum();
    }

    /** Bytes if every layer kept a slot for every position. */
    public long everyPositionBytes() {
        return layouts.stream().mapToLong(layout -> 2L * 4 * batch * maxLength * layout.kvWidth()).sum();
    }

    /** The fraction of {@link #everyPositionBytes()} the rolling buffers save (0 when every layer is full). */
    public double saving() {
        long every = everyPositionBytes();
        return every == 0 ? 0 : 1 - (double) totalBytes() / every;
    }
}
