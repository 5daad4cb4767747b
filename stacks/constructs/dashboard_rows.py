"""Dashboard layout: one titled row per pipeline hop, its graphs sharing the 24-column width."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from aws_cdk import aws_cloudwatch as cw

DASHBOARD_WIDTH = 24
MIN_GRAPH_WIDTH = 6
GRAPH_HEIGHT = 6


@dataclass(frozen=True, kw_only=True)
class Graph:
    """One graph: metrics on the left axis, optionally others on the right, and threshold lines."""

    title: str
    left: Sequence[cw.IMetric]
    right: Sequence[cw.IMetric] = ()
    left_label: str | None = None
    right_label: str | None = None
    thresholds: Sequence[cw.HorizontalAnnotation] = ()
    stacked: bool = False


@dataclass(frozen=True, kw_only=True)
class HopRow:
    """A hop of the pipeline: a heading that says what to look for, then its graphs."""

    title: str
    about: str
    graphs: Sequence[Graph] = field(default_factory=tuple)


def add_hop_rows(dashboard: cw.Dashboard, rows: Sequence[HopRow]) -> None:
    """Append each row: a markdown heading across the dashboard, then graphs of equal width (wrapping
    to a new line after four)."""
    for row in rows:
        dashboard.add_widgets(
            cw.TextWidget(markdown=f"### {row.title}\n{row.about}", width=DASHBOARD_WIDTH, height=2)
        )
        width = max(MIN_GRAPH_WIDTH, DASHBOARD_WIDTH // max(len(row.graphs), 1))
        dashboard.add_widgets(*(_graph_widget(graph, width) for graph in row.graphs))


def _graph_widget(graph: Graph, width: int) -> cw.GraphWidget:
    return cw.GraphWidget(
        title=graph.title,
        left=list(graph.left),
        right=list(graph.right),
        left_y_axis=cw.YAxisProps(label=graph.left_label, show_units=False, min=0)
        if graph.left_label
        else None,
        right_y_axis=cw.YAxisProps(label=graph.right_label, show_units=False, min=0)
        if graph.right_label
        else None,
        left_annotations=list(graph.thresholds),
        stacked=graph.stacked,
        width=width,
        height=GRAPH_HEIGHT,
    )
