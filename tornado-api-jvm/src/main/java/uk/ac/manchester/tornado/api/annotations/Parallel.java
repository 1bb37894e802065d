package uk.ac.manchester.tornado.api.annotations;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks a loop induction variable whose iterations are independent. TornadoVM maps such loops onto the device's
 * threads and finds the annotation through the LocalVariableTable (compile with {@code -g}); on the plain JVM
 * the outermost such loop of a task's kernel is split into one block of iterations per thread (see
 * {@code org.attentionlab.tornadoapi.jvm.ParallelLoops}); a kernel called directly runs as written.
 */
@Target({ ElementType.LOCAL_VARIABLE, ElementType.TYPE, ElementType.TYPE_USE, ElementType.TYPE_PARAMETER })
@Retention(RetentionPolicy.RUNTIME)
public @interface Parallel {
}
