package dev.kappa.flink.insights;

/** The metric group of the job's counters: the group Managed Flink exports to CloudWatch (flink_app/udfs.py). */
final class InsightMetrics {
    static final String GROUP = "kinesisanalytics";

    private InsightMetrics() {}
}
