/*
 * Sortable leaderboard tables, shipped with the site (no script from another host).
 *
 * Click a column heading (or focus it and press Enter or Space) to sort by it; again to
 * reverse. Tables of the markup contract (table.tmlp-table, see docs/javascripts/tables.js)
 * sort by each cell's data-value when it has one and skip headings marked data-sort="none";
 * data-sort="text" compares as text. Plain Markdown tables read numbers from the cell text
 * ("#3", "1.8×", "0.21 s" and "2,400" all read as their number). Empty cells and "—" always
 * go last. Headings get role="columnheader" and aria-sort (mkdocs-material draws its arrows
 * from it), and every sort is announced in a polite aria-live region ("Sorted by Speed-up,
 * descending"). After a sort the table fires "tmlp:sorted" so that paging can redraw.
 * Runs on every page load, including mkdocs-material's instant navigation (document$).
 */
(function () {
  "use strict";
  var NUMBER = /^[#\s]*([-+]?(?:\d[\d,]*(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?)\s*(?:×|%|[A-Za-z\/]+)?\s*≈?$/;
  var TABLES = "article table.tmlp-table, article table:not([class])";

  function liveRegion() {
    // One per page, created once; screen readers announce what is written into it.
    var region = document.getElementById("tmlp-live");
    if (!region) {
      region = document.createElement("div");
      region.id = "tmlp-live";
      region.className = "md-visually-hidden";
      region.setAttribute("role", "status");
      region.setAttribute("aria-live", "polite");
      (document.querySelector("article") || document.body).appendChild(region);
    }
    return region;
  }

  function announce(text) {
    var region = liveRegion();
    // Clearing first makes a repeated message ("descending" twice) be read again.
    region.textContent = "";
    window.setTimeout(function () { region.textContent = text; }, 50);
  }

  function cellKey(row, index, mode) {
    var cell = row.cells[index];
    if (!cell) { return null; }
    var text;
    if (cell.hasAttribute("data-value")) {
      text = cell.getAttribute("data-value").trim();
      if (text === "") { return null; }
      var n = Number(text);
      return isFinite(n) && mode !== "text" ? n : text;
    }
    text = cell.textContent.trim();
    if (text === "" || text === "—" || text === "-") { return null; }
    if (mode === "text") { return text; }
    var m = NUMBER.exec(text);
    return m ? parseFloat(m[1].replace(/,/g, "")) : text;
  }

  function sortBy(table, index, descending, mode) {
    var body = table.tBodies[0];
    if (!body) { return; }
    var rows = Array.prototype.slice.call(body.rows);
    var keys = rows.map(function (row, i) { return [cellKey(row, index, mode), i, row]; });
    var numeric = keys.every(function (k) { return k[0] === null || typeof k[0] === "number"; });
    keys.sort(function (a, b) {
      if (a[0] === null || b[0] === null) {
        return a[0] === b[0] ? a[1] - b[1] : (a[0] === null ? 1 : -1);
      }
      var c = numeric ? a[0] - b[0]
        : String(a[0]).localeCompare(String(b[0]), undefined, { numeric: true, sensitivity: "base" });
      if (descending) { c = -c; }
      return c !== 0 ? c : a[1] - b[1];
    });
    var fragment = document.createDocumentFragment();
    keys.forEach(function (k) { fragment.appendChild(k[2]); });
    body.appendChild(fragment);
  }

  function headingName(th) {
    return (th.getAttribute("aria-label") || th.textContent).replace(/\s+/g, " ").trim();
  }

  function setup(table) {
    if (table.getAttribute("data-tmlp-sortable")) { return; }
    table.setAttribute("data-tmlp-sortable", "1");
    var head = table.tHead && table.tHead.rows[0];
    if (!head) { return; }
    Array.prototype.forEach.call(head.cells, function (th, index) {
      var mode = th.getAttribute("data-sort") || "";
      if (mode === "none") { return; }
      th.setAttribute("role", "columnheader");
      th.setAttribute("tabindex", "0");
      th.setAttribute("aria-sort", "none");
      th.title = "Sort by " + headingName(th);
      function activate() {
        var descending = th.getAttribute("aria-sort") === "ascending";
        Array.prototype.forEach.call(head.cells, function (other) {
          if (other.hasAttribute("aria-sort")) { other.setAttribute("aria-sort", "none"); }
        });
        th.setAttribute("aria-sort", descending ? "descending" : "ascending");
        sortBy(table, index, descending, mode);
        table.dispatchEvent(new CustomEvent("tmlp:sorted", { bubbles: true }));
        announce("Sorted by " + headingName(th) + ", " + (descending ? "descending" : "ascending") + ".");
      }
      th.addEventListener("click", activate);
      th.addEventListener("keydown", function (event) {
        if (event.key === "Enter" || event.key === " ") { event.preventDefault(); activate(); }
      });
    });
  }

  function init() {
    var tables = document.querySelectorAll(TABLES);
    tables.forEach(setup);
    // The live region must exist before the first change, or screen readers may miss it.
    if (tables.length) { liveRegion(); }
  }

  window.tmlpAnnounce = announce;
  if (typeof window.document$ !== "undefined" && window.document$.subscribe) {
    window.document$.subscribe(init);
  } else if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
