/*
 * The compare page (compare/): puts two entries side by side, from data embedded in the page.
 *
 * scorer/site/pages.py renders the page with every entry's figures in
 * <script type="application/json" id="tmlp-compare-data"> and two <select>s whose option
 * values are entry keys; without JavaScript the page lists links to the entry pages. This
 * script reads the JSON (never evaluates it), fills a table with one row per figure and one
 * column per chosen entry, keeps the choice in the address (#a=<key>&b=<key>) so that a
 * comparison can be linked to, and announces the change in the aria-live region.
 *
 * The JSON (scorer/site/entries.py, compare_json) is {"entries": [...]} (or a bare list); an
 * entry has a key ("id", or "team"/"event"), "team_name", "event_name", "title",
 * "status_text", "rank", an optional "url" (relative to the compare page) and its figures as
 * text in "text", an object label -> shown value (or "fields": [label, value] pairs). Every
 * value is shown as text (textContent), so submitted text cannot become markup.
 */
(function () {
  "use strict";

  function entryKey(e) {
    return String(e.id || e.key || ((e.team || "") + "/" + (e.event || "")));
  }

  function entryName(e) {
    var team = e.team_name || e.team || "";
    var title = e.title || e.label || "";
    return team && title ? team + ": " + title : String(team || title || entryKey(e));
  }

  function fieldsOf(e) {
    var out = [["Team", e.team_name || e.team], ["Event", e.event_name || e.event],
               ["Status", e.status_text || e.status], ["Rank by speed", e.rank]];
    var raw = e.text || e.fields || {};
    if (Array.isArray(raw)) {
      raw.forEach(function (f) {
        out.push(Array.isArray(f) ? [String(f[0]), f[1]] : [String(f.label || ""), f.value]);
      });
    } else {
      // The figures in the order the JSON gives them.
      Object.keys(raw).forEach(function (k) { out.push([k, raw[k]]); });
    }
    return out.filter(function (f) { return f[1] !== undefined; });
  }

  function text(value) {
    if (value === null || value === undefined || value === "") { return "—"; }
    if (Array.isArray(value)) { return value.join(", "); }
    if (typeof value === "object") { return JSON.stringify(value); }
    return String(value);
  }

  function cell(tag, content, scope) {
    var el = document.createElement(tag);
    if (scope) { el.setAttribute("scope", scope); }
    if (content instanceof Node) { el.appendChild(content); } else { el.textContent = content; }
    return el;
  }

  function heading(e) {
    var name = entryName(e);
    if (!e.url) { return name; }
    var a = document.createElement("a");
    a.href = e.url;
    a.textContent = name;
    return a;
  }

  function init() {
    var source = document.getElementById("tmlp-compare-data");
    if (!source || source.getAttribute("data-tmlp-done")) { return; }
    source.setAttribute("data-tmlp-done", "1");
    var data;
    try { data = JSON.parse(source.textContent); } catch (err) { return; }
    var entries = Array.isArray(data) ? data : (data && data.entries) || [];
    var byKey = {};
    entries.forEach(function (e) { byKey[entryKey(e)] = e; });
    var article = source.closest("article") || document.body;
    var selects = Array.prototype.slice.call(article.querySelectorAll("select")).slice(0, 2);
    if (selects.length < 2 || entries.length === 0) { return; }

    var out = document.getElementById("tmlp-compare-table");
    if (!out) {
      out = document.createElement("div");
      out.id = "tmlp-compare-table";
      var anchor = selects[1].closest("form, p, div") || selects[1];
      anchor.parentNode.insertBefore(out, anchor.nextSibling);
    }
    out.classList.add("tmlp-scroll");
    // The change is announced as one sentence (below); a live table would be read out whole.
    out.removeAttribute("aria-live");

    var params = new URLSearchParams(window.location.hash.replace(/^#/, ""));
    ["a", "b"].forEach(function (name, i) {
      var wanted = params.get(name);
      if (wanted && byKey[wanted]) { selects[i].value = wanted; }
      if (!byKey[selects[i].value]) { selects[i].value = entryKey(entries[0]); }
    });
    if (!params.get("b") && selects[1].value === selects[0].value && selects[1].options.length > 1) {
      // Both start on the first option: show the next entry beside it, not the same one twice.
      var next = Array.prototype.find.call(selects[1].options, function (o) {
        return o.value !== selects[0].value && byKey[o.value];
      });
      if (next) { selects[1].value = next.value; }
    }

    function draw(announce) {
      var chosen = selects.map(function (s) { return byKey[s.value]; });
      var labels = [], seen = {};
      chosen.forEach(function (e) {
        fieldsOf(e || {}).forEach(function (f) {
          if (!seen[f[0]]) { seen[f[0]] = true; labels.push(f[0]); }
        });
      });
      var values = chosen.map(function (e) {
        var map = {};
        fieldsOf(e || {}).forEach(function (f) { map[f[0]] = f[1]; });
        return map;
      });
      var table = document.createElement("table");
      table.className = "tmlp-table tmlp-compare";
      var caption = document.createElement("caption");
      caption.textContent = "Side by side";
      table.appendChild(caption);
      var head = table.createTHead().insertRow();
      head.appendChild(cell("th", "Figure", "col"));
      chosen.forEach(function (e) { head.appendChild(cell("th", e ? heading(e) : "—", "col")); });
      var body = table.createTBody();
      labels.forEach(function (name) {
        var row = body.insertRow();
        row.appendChild(cell("th", name, "row"));
        values.forEach(function (map) { row.appendChild(cell("td", text(map[name]))); });
      });
      out.textContent = "";
      out.appendChild(table);
      if (announce && window.tmlpAnnounce) {
        window.tmlpAnnounce("Comparing " + chosen.map(function (e) {
          return e ? entryName(e) : "nothing";
        }).join(" and ") + ".");
      }
    }

    selects.forEach(function (s) {
      s.addEventListener("change", function () {
        var hash = "a=" + encodeURIComponent(selects[0].value) + "&b=" + encodeURIComponent(selects[1].value);
        window.history.replaceState(null, "", "#" + hash);
        draw(true);
      });
    });
    draw(false);
  }

  if (typeof window.document$ !== "undefined" && window.document$.subscribe) {
    window.document$.subscribe(init);
  } else if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
