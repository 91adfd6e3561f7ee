// mspweb: License Management refreshes after a sync (or a bulk edit) without losing the
// user's place. On `licenses-changed` the table and tree are reloaded (`licenses-refresh`)
// keeping the selected rows, typed tag text, open tree nodes, scroll position and focus;
// while the user is typing a tag in a row, nothing is replaced: a "New data: refresh" button
// appears instead, and the user chooses when.
(function () {
  "use strict";
  var saved = null;

  function table() { return document.getElementById("license-table"); }

  function busy() {
    var box = table();
    if (!box) { return false; }
    var active = document.activeElement;
    if (active && box.contains(active) && active.matches(".tag-add input")) { return true; }
    return Array.prototype.some.call(box.querySelectorAll(".tag-add input"), function (input) {
      return input.value.trim() !== "";
    });
  }

  function focusKey(element) {
    if (!element || element === document.body) { return null; }
    if (element.id) { return "#" + CSS.escape(element.id); }
    var key = element.getAttribute("data-focus-key");
    if (key) { return "[data-focus-key='" + key + "']"; }
    var label = element.getAttribute("aria-label");
    if (label) { return element.tagName.toLowerCase() + "[aria-label='" + label.replace(/'/g, "\\'") + "']"; }
    return null;
  }

  function save() {
    var box = table();
    var typed = {};
    box.querySelectorAll("td[data-tags] .tag-add input").forEach(function (input) {
      if (input.value) { typed[input.closest("td[data-tags]").getAttribute("data-tags")] = input.value; }
    });
    saved = {
      scroll: window.scrollY,
      inner: (box.querySelector(".table-scroll") || {}).scrollLeft || 0,
      checked: Array.prototype.map.call(box.querySelectorAll("input[name=license]:checked"), function (item) { return item.value; }),
      typed: typed,
      focus: focusKey(document.activeElement),
      open: Array.prototype.map.call(document.querySelectorAll("#license-tree [aria-expanded=true]"), function (item) { return item.getAttribute("data-company"); }),
      pending: 2,
    };
  }

  function restoreTable() {
    var box = table();
    saved.checked.forEach(function (value) {
      var item = box.querySelector("input[name=license][value='" + value + "']");
      if (item) { item.checked = true; }
    });
    Object.keys(saved.typed).forEach(function (url) {
      box.querySelectorAll("td[data-tags]").forEach(function (cell) {
        if (cell.getAttribute("data-tags") === url) { cell.querySelector(".tag-add input").value = saved.typed[url]; }
      });
    });
    var scroller = box.querySelector(".table-scroll");
    if (scroller) { scroller.scrollLeft = saved.inner; }
  }

  function restoreTree() {
    saved.open.forEach(function (company) {
      var item = document.querySelector("#license-tree [data-company='" + company + "'][aria-expanded=false]");
      if (item && window.mspTree) { window.mspTree.setExpanded(item, true); }
    });
  }

  function finish() {
    window.scrollTo(0, saved.scroll);
    var again = saved.focus && document.querySelector(saved.focus);
    if (again && (document.activeElement === document.body || !document.body.contains(document.activeElement))) {
      again.focus({ preventScroll: true });
    }
    saved = null;
  }

  function refresh() {
    var notice = document.getElementById("refresh-notice");
    if (notice) { notice.hidden = true; }
    if (!table()) { return; }
    save();
    if (!document.getElementById("license-tree")) { saved.pending = 1; }
    document.body.dispatchEvent(new CustomEvent("licenses-refresh", { bubbles: true }));
  }

  document.addEventListener("licenses-changed", function () {
    if (!table()) { return; }
    if (busy()) {
      var notice = document.getElementById("refresh-notice");
      if (notice && notice.hidden) {
        notice.hidden = false;
        var region = document.getElementById("live-status");
        if (region) { region.textContent = "New data is available: use New data: refresh to update the table."; }
      }
      return;
    }
    refresh();
  });

  document.addEventListener("click", function (event) {
    if (event.target.closest && event.target.closest("[data-refresh-now]")) { refresh(); }
  });

  // (a11y.js leaves the focus of these swaps alone: they are triggered by licenses-refresh.)
  document.addEventListener("htmx:afterSettle", function (event) {
    if (!saved) { return; }
    var element = event.target;
    if (element.id === "license-table" && !saved.tableDone) {
      saved.tableDone = true; restoreTable(); saved.pending -= 1;
    } else if (element.parentNode && element.parentNode.id === "license-tree" && !saved.treeDone) {
      saved.treeDone = true; restoreTree(); saved.pending -= 1;
    }
    if (saved.pending <= 0) { finish(); }
  });
})();
