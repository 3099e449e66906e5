/*
 * Sortable leaderboard tables, shipped with the site (no script from another host).
 *
 * Click a column heading to sort by it; click again to reverse. Numbers are compared as
 * numbers ("#3", "1.8×", "0.21 s" and "2,400" all read as their number), everything else as
 * text; empty cells and "—" always go last. Headings get role="columnheader" and aria-sort,
 * which mkdocs-material styles with its sort arrows. Runs on every page load, including
 * mkdocs-material's instant navigation (document$), and on plain page loads without it.
 */
(function () {
  "use strict";
  var NUMBER = /^[#\s]*([-+]?(?:\d[\d,]*(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?)\s*(?:×|%|[A-Za-z\/]+)?\s*≈?$/;

  function cellText(row, index) {
    var cell = row.cells[index];
    return cell ? cell.textContent.trim() : "";
  }

  function key(text) {
    if (text === "" || text === "—") { return null; }
    var m = NUMBER.exec(text);
    return m ? parseFloat(m[1].replace(/,/g, "")) : text;
  }

  function sortBy(table, index, descending) {
    var body = table.tBodies[0];
    if (!body) { return; }
    var rows = Array.prototype.slice.call(body.rows);
    var keys = rows.map(function (row, i) { return [key(cellText(row, index)), i, row]; });
    var numeric = keys.every(function (k) { return k[0] === null || typeof k[0] === "number"; });
    keys.sort(function (a, b) {
      if (a[0] === null || b[0] === null) {
        return a[0] === b[0] ? a[1] - b[1] : (a[0] === null ? 1 : -1);
      }
      var x = numeric ? a[0] : String(a[0]), y = numeric ? b[0] : String(b[0]);
      var c = numeric ? x - y : x.localeCompare(y, undefined, { numeric: true, sensitivity: "base" });
      if (descending) { c = -c; }
      return c !== 0 ? c : a[1] - b[1];
    });
    keys.forEach(function (k) { body.appendChild(k[2]); });
  }

  function setup(table) {
    if (table.getAttribute("data-tmlp-sortable")) { return; }
    table.setAttribute("data-tmlp-sortable", "1");
    var head = table.tHead && table.tHead.rows[0];
    if (!head) { return; }
    Array.prototype.forEach.call(head.cells, function (th, index) {
      th.setAttribute("role", "columnheader");
      th.setAttribute("tabindex", "0");
      th.setAttribute("aria-sort", "none");
      function activate() {
        var descending = th.getAttribute("aria-sort") === "ascending";
        Array.prototype.forEach.call(head.cells, function (other) {
          other.setAttribute("aria-sort", "none");
        });
        th.setAttribute("aria-sort", descending ? "descending" : "ascending");
        sortBy(table, index, descending);
      }
      th.addEventListener("click", activate);
      th.addEventListener("keydown", function (event) {
        if (event.key === "Enter" || event.key === " ") { event.preventDefault(); activate(); }
      });
    });
  }

  function init() {
    document.querySelectorAll("article table:not([class])").forEach(setup);
  }

  if (typeof window.document$ !== "undefined" && window.document$.subscribe) {
    window.document$.subscribe(init);
  } else if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
