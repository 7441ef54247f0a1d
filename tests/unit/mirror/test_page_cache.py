"""Rendered pages are shared while fresh, and bounded in bytes."""

from __future__ import annotations

from cl3_common.mirror.page_cache import PageCache


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_page_is_rendered_once_while_fresh():
    clock, renders = Clock(), []
    cache = PageCache(ttl_s=60, clock=clock)

    def render() -> list[str]:
        renders.append(1)
        return ["[1]", "[2]"]

    assert cache.get_or_render("a", render) == ["[1]", "[2]"]
    assert cache.get_or_render("a", render) == ["[1]", "[2]"]
    assert len(renders) == 1
    clock.now += 61  # stale: rendered again from the store
    cache.get_or_render("a", render)
    assert len(renders) == 2


def test_the_least_recently_used_go_first_beyond_the_budget():
    cache = PageCache(max_bytes=3 * (100 + 64), clock=Clock())
    renders: list[str] = []

    def page(name: str):
        def render() -> list[str]:
            renders.append(name)
            return ["x" * 100]

        return render

    for name in ("a", "b", "c"):
        cache.get_or_render(name, page(name))
    cache.get_or_render("a", page("a"))  # a is now the most recent
    cache.get_or_render("d", page("d"))  # b goes
    cache.get_or_render("a", page("a"))
    cache.get_or_render("b", page("b"))
    assert renders == ["a", "b", "c", "d", "b"]


def test_a_zero_budget_keeps_nothing():
    cache, renders = PageCache(max_bytes=0, clock=Clock()), []
    for _ in range(3):
        cache.get_or_render("a", lambda: renders.append(1) or ["[1]"])
    assert len(renders) == 3
