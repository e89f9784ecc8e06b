"""Figure candidates of posts: what extraction found on the page that may be the post's key figure."""

from __future__ import annotations

from .schema import figures_t

#: what produced the candidates (a new scoring of figures changes this)
FIGURES_PRODUCER = "extract:figures-v1"


class FigureRows:
    def put_figures(self, post_id: int, candidates: list[dict], produced_by: str = FIGURES_PRODUCER) -> None:
        self._put_produced(figures_t, post_id, {"candidates": list(candidates)}, produced_by)

    def get_figures(self, post_id: int) -> list[dict]:
        """The post's figure candidates, best first (empty when the page had none or was not read)."""
        row = self._get_produced(figures_t, post_id)
        return list(row["candidates"] or []) if row else []
