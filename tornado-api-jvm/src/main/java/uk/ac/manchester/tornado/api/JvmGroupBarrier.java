package uk.ac.manchester.tornado.api;

import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The barrier of a threaded work-group. Unlike {@link java.util.concurrent.Phaser} it parks at once instead of
 * spinning: a group's items are virtual threads sharing a few carrier threads, so a spinning item only keeps the
 * items it waits for from running. Items that finish leave the barrier, so the others are released and the
 * launch can report a divergent barrier instead of hanging.
 */
final class JvmGroupBarrier {

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition advanced = lock.newCondition();
    private int parties;
    private int arrived;
    private long generation;
    private boolean broken;

    JvmGroupBarrier(int parties) {
        this.parties = parties;
    }

    /** Waits until every remaining item has arrived; false if the group was aborted. */
    boolean await() {
        lock.lock();
        try {
            if (broken) {
                return false;
            }
            long mine = generation;
            if (++arrived == parties) {
                advance();
                return true;
            }
            while (mine == generation && !broken) {
                advanced.awaitUninterruptibly();
            }
            return !broken;
        } finally {
            lock.unlock();
        }
    }

    void leave() {
        lock.lock();
        try {
            parties--;
            if (arrived > 0 && arrived == parties) {
                advance();
            }
        } finally {
            lock.unlock();
        }
    }

    void abort() {
        lock.lock();
        try {
            broken = true;
            advanced.signalAll();
        } finally {
            lock.unlock();
        }
    }

    boolean isBroken() {
        lock.lock();
        try {
            return broken;
        } finally {
            lock.unlock();
        }
    }

    private void advance() {
        arrived = 0;
        generation++;
        advanced.signalAll();
    }
}
