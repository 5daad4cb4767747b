package dev.kappa.flink.affinity;

/** One model version of a product as {@link ModelLookup} keeps it: its end and neighbors. PTF state. */
public class ModelVersion {
    public long versionMs;
    public String neighbors;

    public ModelVersion() {}

    public ModelVersion(long versionMs, String neighbors) {
        this.versionMs = versionMs;
        this.neighbors = neighbors;
    }
}
