package dev.kappa.flink;

/** A processed cart change kept for the cart history frame: its time and line. Process-table-function state. */
public class CartLine {
    public long atMs;
    public String line;

    public CartLine() {}

    public CartLine(long atMs, String line) {
        this.atMs = atMs;
        this.line = line;
    }
}
