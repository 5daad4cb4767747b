package dev.kappa.flink.affinity;

import java.util.ArrayList;
import java.util.List;

/**
 * The recommendation triggers of one product that arrived before the model version of their slice (the rare
 * case: the version's path through the job is longer than the trigger's). Process-table-function state.
 */
public class WaitingTriggers {
    /** The triggers' joined columns without the model's, in arrival order. */
    public List<ModelLookup.TriggerRow> triggers = new ArrayList<>();

    public WaitingTriggers() {}
}
