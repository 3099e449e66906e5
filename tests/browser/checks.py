"""What the browser tests check on every page, as one function that returns the problems found.

``page_problems(visit, width, axe)`` runs in the opened page: axe-core (serious and critical
violations), console errors, failed or foreign requests, the feed autodiscovery link, tables
that overflow their column at 1400 px, the priority-1 columns and the sticky heading on a
390 px phone, badge heights and chart scaling and text size. Each problem is one line naming
the page and what is wrong, so a failing test lists them all at once.
"""

from __future__ import annotations

MIN_BADGE_PX = 18
MIN_CHART_TEXT_PX = 8.9  # "about 9 px": sub-pixel rounding of the scale factor allowed

READY = "document.documentElement.getAttribute('data-tmlp-ready') === '1'"

AXE_RUN = """async () => {
  const r = await axe.run(document, {resultTypes: ['violations']});
  return r.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')
    .map(v => v.id + ' (' + v.impact + '): ' + v.nodes.slice(0, 3)
      .map(n => n.target.join(' ')).join(' | '));
}"""

LAYOUT = """([width, minBadge, minText]) => {
  const out = [];
  const vw = window.innerWidth;
  if (document.documentElement.scrollWidth > vw + 1) {
    out.push('page scrolls sideways: ' + document.documentElement.scrollWidth + ' px > ' + vw);
  }
  const article = document.querySelector('article');
  const column = article ? article.getBoundingClientRect() : null;
  document.querySelectorAll('article table').forEach((t, i) => {
    const box = t.closest('.tmlp-scroll, .md-typeset__scrollwrap') || t;
    const r = t.getBoundingClientRect();
    if (width === 'desktop' && (box.scrollWidth > box.clientWidth + 1 ||
        (column && r.right > column.right + 1))) {
      out.push('table ' + i + ' is wider than its column (' + Math.round(box.scrollWidth) +
               ' px in ' + Math.round(box.clientWidth) + ' px)');
    }
    if (width === 'phone' && t.classList.contains('tmlp-table')) {
      t.querySelectorAll('thead th[data-priority="1"]').forEach(th => {
        const b = th.getBoundingClientRect();
        if (b.width === 0 || b.left < -1 || b.right > vw + 1) {
          out.push('table ' + i + ': priority-1 column "' + th.textContent.trim() +
                   '" is not in view (' + Math.round(b.left) + '..' + Math.round(b.right) + ')');
        }
      });
    }
  });
  document.querySelectorAll('article img.tmlp-badge, article td img[src*="badges/"]').forEach(img => {
    const h = img.getBoundingClientRect().height;
    if (img.offsetParent !== null && h < minBadge) {
      out.push('badge "' + img.alt + '" is ' + h.toFixed(1) + ' px tall');
    }
  });
  document.querySelectorAll('article .tmlp-chart').forEach((fig, i) => {
    const svg = fig.querySelector('svg');
    if (!svg) { return; }
    const w = svg.getBoundingClientRect().width;
    const vb = svg.viewBox && svg.viewBox.baseVal;
    if (!vb || !vb.width) { out.push('chart ' + i + ' has no viewBox'); return; }
    if (w > fig.clientWidth + 1 && width === 'desktop') {
      out.push('chart ' + i + ' is wider than its column');
    }
    if (width === 'desktop' && Math.abs(w - fig.clientWidth) > 1) {
      out.push('chart ' + i + ' does not fill its column (' + w + ' of ' + fig.clientWidth + ')');
    }
    const scale = w / vb.width;
    let smallest = Infinity;
    svg.querySelectorAll('text').forEach(t => {
      smallest = Math.min(smallest, parseFloat(getComputedStyle(t).fontSize) * scale);
    });
    if (smallest < minText) {
      out.push('chart ' + i + ' text renders at ' + smallest.toFixed(1) + ' px');
    }
  });
  return out;
}"""

# Scrolls the first table taller than the screen to mid-way and reports where its heading is.
STICKY = """() => {
  const vh = window.innerHeight;
  const t = Array.from(document.querySelectorAll('article table.tmlp-table'))
    .find(t => t.getBoundingClientRect().height > vh * 1.5 && t.tHead);
  if (!t) { return null; }
  const top = t.getBoundingClientRect().top + window.scrollY;
  window.scrollTo(0, top + vh * 0.75);
  // The cells stick, not the thead box: measure a heading cell.
  const h = t.tHead.rows[0].cells[0].getBoundingClientRect();
  const header = document.querySelector('.md-header');
  const below = header ? header.getBoundingClientRect().bottom : 0;
  window.scrollTo(0, 0);
  return {top: h.top, bottom: h.bottom, below: below};
}"""


def page_problems(visit, width: str, axe: str | None, expect_status: int = 200) -> list[str]:
    """Everything wrong with the opened page; axe-core runs when ``axe`` (its source) is given."""
    page = visit.page
    url = page.url
    out = []
    if visit.status != expect_status:
        out.append(f"status {visit.status}, expected {expect_status}")
    try:
        page.wait_for_function(READY, timeout=60_000)  # a 1 MB page on a loaded machine
    except Exception:  # noqa: BLE001 - reported as a problem, with the page named
        out.append("the site's scripts did not finish (data-tmlp-ready not set)")
    out += [f"console error: {e}" for e in visit.errors]
    out += [f"request left 127.0.0.1: {u}" for u in visit.foreign]
    out += [f"failed request: {u}" for u in visit.failed]
    if not page.query_selector("head link[rel='alternate'][type='application/atom+xml']"):
        out.append("no feed autodiscovery link in the head")
    out += page.evaluate(LAYOUT, [width, MIN_BADGE_PX, MIN_CHART_TEXT_PX])
    if width == "phone":
        sticky = page.evaluate(STICKY)
        if sticky and not (sticky["below"] - 2 <= sticky["top"] <= sticky["below"] + 60):
            out.append(
                f"table heading not kept in view when scrolled: top {sticky['top']:.0f} px, "
                f"page header ends at {sticky['below']:.0f} px"
            )
    if axe:
        page.add_script_tag(content=axe)
        out += [f"axe: {v}" for v in page.evaluate(AXE_RUN)]
    return [f"{url} [{width}]: {p}" for p in out]
