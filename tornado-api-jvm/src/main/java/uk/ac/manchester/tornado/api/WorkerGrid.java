package uk.ac.manchester.tornado.api;

/** The global and local work sizes a KernelContext task runs over. */
public interface WorkerGrid {

    int dimension();

    long[] getGlobalWork();

    long[] getLocalWork();

    long[] getNumberOfWorkgroups();

    long[] getGlobalOffset();

    void setGlobalWork(long x, long y, long z);

    void setLocalWork(long x, long y, long z);

    void setGlobalOffset(long x, long y, long z);

    void setLocalWorkToNull();

    void setNumberOfWorkgroupsToNull();
}
