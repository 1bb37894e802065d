package uk.ac.manchester.tornado.api.annotations;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks a reduction variable. Present for API compatibility only: automatic reductions give wrong sums on some
 * OpenCL drivers, so Attention Lab writes its reductions with {@code KernelContext} and local memory.
 */
@Target({ ElementType.PARAMETER, ElementType.TYPE_USE })
@Retention(RetentionPolicy.RUNTIME)
public @interface Reduce {
}
