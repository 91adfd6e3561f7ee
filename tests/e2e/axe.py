"""axe-core (vendored from `npm pack axe-core@4.14.1`, tests/e2e/vendor/) run inside the page.

The script is evaluated through the DevTools protocol, which the console's CSP (no inline
script, no eval) does not govern, so the page under test keeps its real CSP.
"""

from __future__ import annotations

from pathlib import Path

AXE_SOURCE = (Path(__file__).parent / "vendor" / "axe.min.js").read_text(encoding="utf-8")

#: WCAG 2.1 A/AA, the WCAG 2.2 AA target size, and axe's best practices.
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]

RUN_AXE = """
async (tags) => {
  const result = await axe.run(document, {runOnly: {type: "tag", values: tags},
                                          rules: {"target-size": {enabled: true}},
                                          resultTypes: ["violations"]});
  return result.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 5).map((n) => n.target.join(" ") + " :: " + n.failureSummary),
  }));
}
"""


def axe_violations(page) -> list[dict]:
    """axe's violations of `AXE_TAGS` on the page as it stands (injecting axe when needed)."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE_SOURCE)
    return page.evaluate(RUN_AXE, AXE_TAGS)


def assert_accessible(page, state: str) -> None:
    """Fail with a readable list when axe finds any violation in this page state."""
    violations = axe_violations(page)
    lines = [
        f"{v['id']} ({v['impact']}): {v['help']}\n    " + "\n    ".join(v["nodes"])
        for v in violations
    ]
    assert not violations, f"axe on {state} ({page.url}):\n" + "\n".join(lines)
