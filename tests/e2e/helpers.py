"""Checks the browser tests share: axe-core's WCAG 2.1 A/AA rules (through axe-playwright-python) with no
serious or critical violation, and no page wider than its window (a wide table scrolls inside its own
``.table-responsive`` box), on an office monitor and on a phone."""

from __future__ import annotations

from axe_playwright_python.sync_playwright import Axe

SIZES = {"desktop": (1366, 768), "phone": (390, 844)}
WCAG_21_AA = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}
BLOCKING = {"serious", "critical"}
AXE = Axe()
# The elements that stick out of the window, outside any box that scrolls by itself (for the failure message).
WIDEST = """
[...document.querySelectorAll("body *")]
  .filter((e) => e.getBoundingClientRect().right > window.innerWidth + 1 && !e.parentElement.closest(".table-responsive"))
  .filter((e, _, all) => !all.some((o) => o !== e && e.contains(o)))
  .slice(0, 4)
  .map((e) => `${e.tagName.toLowerCase()}.${[...e.classList].join(".")} (${Math.round(e.getBoundingClientRect().right)} px)`)
"""


def problems_on(page) -> list[str]:
    """What axe and the layout check find wrong on the page that is open."""
    found = []
    results = AXE.run(page, options=WCAG_21_AA)
    for violation in results.response["violations"]:
        if violation["impact"] in BLOCKING:
            targets = ", ".join(str(node["target"]) for node in violation["nodes"][:6])
            found.append(f"{violation['id']} ({violation['impact']}, {len(violation['nodes'])}×): {targets}")
    width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    if width[0] > width[1]:
        found.append(f"page {width[0]} px wide in a {width[1]} px window: {page.evaluate(WIDEST)}")
    return found
