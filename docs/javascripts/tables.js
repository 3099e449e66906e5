/*
 * Filters, "find my team", paging and narrow-screen layout for the leaderboard's tables and
 * charts, shipped with the site (no framework, nothing loaded from another host).
 *
 * Works on the markup contract that scorer/site/tables.py emits (CONTRIBUTING: SITE and WEB):
 *   <div class="tmlp-scroll"><table class="tmlp-table" data-table="board|unranked|overall|
 *   teams|records" data-event="..."> with <th data-priority="1|2|3" data-sort="..."> and rows
 *   <tr data-team data-status data-techniques [data-event]>.
 * Every row is in the HTML, so without JavaScript every row shows. With it:
 *  - each ranking table gets a bar above it: selects for event, technique and status (built
 *    from the rows' data attributes, shown when they offer a choice), a "find my team" box
 *    (matches the team id or the team's visible name) and, when columns had to be hidden, a
 *    toggle to show every column;
 *  - a table of more than PAGE rows shows PAGE at a time, with a "Show more" button (until
 *    this runs, leaderboard.css shows the first PAGE rows of a page that has JavaScript);
 *  - each cell takes its heading's data-priority; a table wider than its column loses its
 *    priority 3, then 2, columns (rank, team and the ranked figure stay) until it fits, with
 *    an "All columns" button to bring them back; a table that fits is marked tmlp-fits (its
 *    heading then sticks below the page header), one that does not scrolls sideways;
 *  - a scroll box with nothing focusable inside becomes focusable, so keyboards can scroll it;
 *  - a chart is never drawn so small that its text falls below MIN_TEXT_PX: it scales with
 *    its column down to that width, then scrolls sideways.
 * Changes are announced through the aria-live region of tablesort.js.
 */
(function () {
  "use strict";
  var PAGE = 100;  // leaderboard.css hides the rows past the first 100 until a table is set up
  var MIN_TEXT_PX = 9;
  var uid = 0;

  function rowsOf(table) {
    return table.tBodies[0] ? Array.prototype.slice.call(table.tBodies[0].rows) : [];
  }

  function announce(text) {
    if (window.tmlpAnnounce) { window.tmlpAnnounce(text); }
  }

  function words(value) {
    return (value || "").split(/\s+/).filter(function (w) { return w !== ""; });
  }

  function label(code, names) {
    // The name the table gives (data-labels: the events' names), else slugs and status codes
    // as words: "below_threshold" -> "Below threshold".
    if (names && Object.prototype.hasOwnProperty.call(names, code)) { return names[code]; }
    var text = code.replace(/^other:/, "").replace(/[_-]+/g, " ").trim();
    return text.charAt(0).toUpperCase() + text.slice(1);
  }

  function tableLabels(table) {
    try { return JSON.parse(table.getAttribute("data-labels") || "{}"); } catch (e) { return {}; }
  }

  function distinct(rows, attribute, split) {
    var seen = {};
    rows.forEach(function (row) {
      var value = row.getAttribute(attribute);
      (split ? words(value) : (value ? [value] : [])).forEach(function (v) { seen[v] = true; });
    });
    return Object.keys(seen).sort();
  }

  function teamText(row) {
    // The team's visible name: the text of the first link to a team page, else the row's text.
    var link = row.querySelector("a[href*='teams/']");
    return ((row.getAttribute("data-team") || "") + " " +
            (link ? link.textContent : row.textContent)).toLowerCase();
  }

  function makeSelect(bar, name, values, names) {
    if (values.length < 2) { return null; }
    var id = "tmlp-filter-" + (++uid);
    var wrap = document.createElement("span");
    wrap.className = "tmlp-filter";
    var lab = document.createElement("label");
    lab.htmlFor = id;
    lab.textContent = name;
    var select = document.createElement("select");
    select.id = id;
    var all = document.createElement("option");
    all.value = "";
    all.textContent = "All";
    select.appendChild(all);
    values.forEach(function (v) {
      var option = document.createElement("option");
      option.value = v;
      option.textContent = label(v, names);
      select.appendChild(option);
    });
    wrap.appendChild(lab);
    wrap.appendChild(select);
    bar.appendChild(wrap);
    return select;
  }

  function copyPriorities(table) {
    // The stylesheet hides columns by priority only on tables marked here, whose cells carry
    // their heading's priority: without JavaScript no column is hidden, headings stay aligned.
    var head = table.tHead && table.tHead.rows[0];
    if (!head || table.hasAttribute("data-tmlp-priorities")) { return; }
    table.setAttribute("data-tmlp-priorities", "1");
    var priorities = Array.prototype.map.call(head.cells, function (th) {
      return th.getAttribute("data-priority") || "";
    });
    rowsOf(table).forEach(function (row) {
      Array.prototype.forEach.call(row.cells, function (cell, i) {
        if (priorities[i]) { cell.setAttribute("data-priority", priorities[i]); }
      });
    });
  }

  function setupTable(table) {
    if (table.getAttribute("data-tmlp-filtered")) { return; }
    table.setAttribute("data-tmlp-filtered", "1");
    var rows = rowsOf(table);
    if (rows.length < 2) { return; }  // nothing to filter or page
    var box = table.closest(".tmlp-scroll") || table;
    var state = { shown: PAGE, event: "", technique: "", status: "", team: "" };
    var noun = table.getAttribute("data-table") === "teams" ? "teams" : "entries";

    var bar = document.createElement("div");
    bar.className = "tmlp-filters";
    bar.setAttribute("role", "group");
    bar.setAttribute("aria-label", "Filter this table");
    var selects = {
      // A team's row lists every event it entered (data-event="a b"): each is one choice.
      event: makeSelect(bar, "Event", distinct(rows, "data-event", true), tableLabels(table)),
      technique: makeSelect(bar, "Technique", distinct(rows, "data-techniques", true)),
      status: makeSelect(bar, "Status", distinct(rows, "data-status", false))
    };
    var findWrap = document.createElement("span");
    findWrap.className = "tmlp-filter";
    var findId = "tmlp-find-" + (++uid);
    var findLabel = document.createElement("label");
    findLabel.htmlFor = findId;
    findLabel.textContent = "Find my team";
    var find = document.createElement("input");
    find.type = "search";
    find.id = findId;
    find.placeholder = "team name or id";
    find.autocomplete = "off";
    findWrap.appendChild(findLabel);
    findWrap.appendChild(find);
    bar.appendChild(findWrap);
    var columns = document.createElement("button");
    columns.type = "button";
    columns.className = "tmlp-columns md-button";
    columns.textContent = "All columns";
    columns.setAttribute("aria-pressed", "false");
    bar.appendChild(columns);
    var count = document.createElement("span");
    count.className = "tmlp-count";
    bar.appendChild(count);
    box.parentNode.insertBefore(bar, box);

    var pager = document.createElement("div");
    pager.className = "tmlp-pager";
    var more = document.createElement("button");
    more.type = "button";
    more.className = "md-button";
    pager.appendChild(more);
    box.parentNode.insertBefore(pager, box.nextSibling);

    var teamsCache = null;
    function matches(row) {
      if (state.event && words(row.getAttribute("data-event")).indexOf(state.event) < 0) { return false; }
      if (state.status && row.getAttribute("data-status") !== state.status) { return false; }
      if (state.technique && words(row.getAttribute("data-techniques")).indexOf(state.technique) < 0) {
        return false;
      }
      if (state.team) {
        if (!teamsCache) { teamsCache = new Map(rows.map(function (r) { return [r, teamText(r)]; })); }
        if (teamsCache.get(row).indexOf(state.team) < 0) { return false; }
      }
      return true;
    }

    function draw() {
      var total = 0, visible = 0;
      rowsOf(table).forEach(function (row) {
        var show = matches(row);
        if (show) { total += 1; }
        show = show && total <= state.shown;
        if (show) { visible += 1; }
        row.hidden = !show;
      });
      count.textContent = "Showing " + visible.toLocaleString("en") + " of " +
        total.toLocaleString("en") + " " + noun + (total < rows.length ?
          " (filtered from " + rows.length.toLocaleString("en") + ")" : "");
      pager.hidden = visible >= total;
      more.textContent = "Show " + Math.min(PAGE, total - visible).toLocaleString("en") + " more";
      return count.textContent;
    }

    function filtered() {
      state.shown = PAGE;
      announce(draw() + ".");
    }

    Object.keys(selects).forEach(function (key) {
      if (!selects[key]) { return; }
      selects[key].addEventListener("change", function () { state[key] = this.value; filtered(); });
    });
    var timer = null;
    find.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(function () { state.team = find.value.trim().toLowerCase(); filtered(); }, 150);
    });
    more.addEventListener("click", function () {
      state.shown += PAGE;
      announce(draw() + ".");
    });
    columns.addEventListener("click", function () {
      var on = columns.getAttribute("aria-pressed") !== "true";
      columns.setAttribute("aria-pressed", on ? "true" : "false");
      box.classList.toggle("tmlp-all-columns", on);
      fit(box, table);
    });
    table.addEventListener("tmlp:sorted", function () { draw(); });
    draw();
  }

  function focusable(el) {
    return el.querySelector("a[href], button, input, select, textarea, [tabindex]") !== null;
  }

  function makeScrollable(box, name) {
    // A box that scrolls sideways must be reachable by keyboard (axe: scrollable-region-focusable).
    if (box.scrollWidth > box.clientWidth + 1 && !focusable(box)) {
      box.setAttribute("tabindex", "0");
      box.setAttribute("role", "region");
      box.setAttribute("aria-label", name);
    }
  }

  function fit(box, table) {
    // Hide priority 3, then 2, columns until the table fits its column (the stylesheet does
    // the hiding); "All columns" shows them all again, and the box then scrolls sideways.
    box.classList.remove("tmlp-fits", "tmlp-hide-3", "tmlp-hide-2");
    var all = box.classList.contains("tmlp-all-columns");
    var fits = function () { return table.offsetWidth <= box.clientWidth + 1; };
    var hidden = false;
    if (!all && table.hasAttribute("data-tmlp-priorities")) {
      ["tmlp-hide-3", "tmlp-hide-2"].forEach(function (cls) {
        if (!fits()) { box.classList.add(cls); hidden = true; }
      });
    }
    if (fits()) { box.classList.add("tmlp-fits"); }
    var button = box.previousElementSibling && box.previousElementSibling.querySelector(".tmlp-columns");
    if (button) { button.hidden = !(hidden || all); }
    makeScrollable(box, "Table, scrolls sideways");
  }

  function setupChart(figure) {
    var svg = figure.querySelector("svg");
    if (svg && svg.getAttribute("role") === "img" && focusable(svg)) {
      // role="img" hides an image's links from assistive technology and nests interactive
      // content (axe: nested-interactive); a labelled group keeps both the name and the links.
      svg.setAttribute("role", "group");
    }
    if (!svg || !svg.viewBox || !svg.viewBox.baseVal || !svg.viewBox.baseVal.width) { return; }
    var smallest = Infinity;
    svg.querySelectorAll("text").forEach(function (t) {
      var size = parseFloat(window.getComputedStyle(t).fontSize);
      if (size > 0 && size < smallest) { smallest = size; }
    });
    if (!isFinite(smallest)) { return; }
    // Rendered text = font size × (rendered width / viewBox width); keep it >= MIN_TEXT_PX.
    var minWidth = Math.ceil(svg.viewBox.baseVal.width * MIN_TEXT_PX / smallest);
    svg.style.minWidth = minWidth + "px";
    makeScrollable(figure, "Chart, scrolls sideways");
  }

  var layoutBoxes = [];
  function relayout() {
    layoutBoxes.forEach(function (pair) { fit(pair[0], pair[1]); });
  }

  var relayoutFrame = 0;
  function relayoutSoon() {
    if (!relayoutFrame) {
      relayoutFrame = window.requestAnimationFrame(function () { relayoutFrame = 0; relayout(); });
    }
  }

  function labelSearch() {
    // mkdocs-material's search box is a role="dialog" without a name (axe: aria-dialog-name).
    document.querySelectorAll(".md-search[role='dialog']:not([aria-label])").forEach(function (el) {
      el.setAttribute("aria-label", "Search");
    });
  }

  function init() {
    labelSearch();
    layoutBoxes = [];
    document.querySelectorAll("article table.tmlp-table").forEach(function (table) {
      copyPriorities(table);
      if (table.getAttribute("data-table")) { setupTable(table); }
      var box = table.closest(".tmlp-scroll");
      if (box) { layoutBoxes.push([box, table]); }
    });
    document.querySelectorAll("article .tmlp-chart").forEach(setupChart);
    relayout();
    // The badges of the markup contract carry their size (width and height), so their tables
    // are laid out at the final width before they load. An image without a width has none
    // until it loads: when such images arrive late, their tables are re-fitted once per frame
    // (not once per image: a re-fit lays out the whole table).
    document.querySelectorAll("article .tmlp-scroll img:not([width])").forEach(function (img) {
      if (!img.complete) { img.addEventListener("load", relayoutSoon, { once: true }); }
    });
    // For tests and screenshots: the page's scripts have run and its images are laid out
    // (tables.js loads after tablesort.js).
    function ready() {
      relayout();
      document.documentElement.setAttribute("data-tmlp-ready", "1");
    }
    if (document.readyState === "complete") { ready(); } else { window.addEventListener("load", ready, { once: true }); }
  }

  var resizeTimer = null;
  window.addEventListener("resize", function () {
    window.clearTimeout(resizeTimer);
    resizeTimer = window.setTimeout(relayout, 100);
  });
  if (typeof window.document$ !== "undefined" && window.document$.subscribe) {
    window.document$.subscribe(init);
  } else if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
