package dev.kappa.flink;

import java.util.List;
import org.apache.flink.table.api.ValidationException;
import org.apache.flink.table.functions.SpecializedFunction.SpecializedContext;
import org.apache.flink.table.functions.UserDefinedFunction;
import org.apache.flink.table.types.inference.CallContext;
import org.apache.flink.table.types.inference.StaticArgument;

/**
 * The literal arguments of a function call, read when the planner specializes the function
 * ({@link org.apache.flink.table.functions.SpecializedFunction}): how a process table function keeps constants
 * its onTimer needs (onTimer receives no arguments) without a value state, which the PTF runtime would read,
 * convert and compare on every call.
 */
public final class CallLiterals {
    private CallLiterals() {}

    /**
     * The BIGINT literal passed as {@code name} to {@code function} (called {@code sqlName} in SQL); a clear
     * planning error when the argument is missing or not a constant.
     */
    public static Long bigint(
            UserDefinedFunction function, SpecializedContext specialized, String sqlName, String name) {
        CallContext context = specialized.getCallContext();
        List<StaticArgument> arguments =
                function.getTypeInference(context.getDataTypeFactory()).getStaticArguments().orElse(List.of());
        for (int i = 0; i < arguments.size(); i++) {
            if (arguments.get(i).getName().equals(name)) {
                return context.getArgumentValue(i, Long.class)
                        .orElseThrow(() -> new ValidationException(sqlName + ": the argument " + name
                                + " must be a constant, e.g. " + name + " => CAST(1800000 AS BIGINT)"));
            }
        }
        throw new ValidationException(sqlName + ": no argument " + name + " in " + arguments);
    }
}
