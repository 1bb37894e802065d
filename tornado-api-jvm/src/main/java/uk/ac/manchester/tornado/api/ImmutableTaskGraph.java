package uk.ac.manchester.tornado.api;

/** A frozen task graph, ready to be put into an execution plan. */
public class ImmutableTaskGraph {

    private final JvmGraph graph;

    ImmutableTaskGraph(JvmGraph graph) {
        this.graph = graph;
    }

    JvmGraph jvmGraph() {
        return graph;
    }

    @Override
    public String toString() {
        return "ImmutableTaskGraph[" + graph.name() + "]";
    }
}
