// mspweb: the little JavaScript the console needs. htmx does the rest.
(function () {
  "use strict";

  function banner(message) {
    var box = document.getElementById("error-banner");
    if (!box) { return; }
    box.textContent = message;
    box.hidden = false;
    window.clearTimeout(banner.timer);
    banner.timer = window.setTimeout(function () { box.hidden = true; }, 8000);
  }

  function messageFrom(xhr) {
    if (!xhr) { return "The server could not be reached. Check your connection and try again."; }
    try {
      var doc = new DOMParser().parseFromString(xhr.responseText || "", "text/html");
      var text = doc.querySelector("[role=alert] p, .error-box p");
      if (text && text.textContent.trim()) { return text.textContent.trim(); }
    } catch (e) { /* fall through */ }
    return "The request failed (" + xhr.status + " " + (xhr.statusText || "error") + ").";
  }

  document.addEventListener("htmx:responseError", function (event) {
    banner(messageFrom(event.detail.xhr));
  });
  document.addEventListener("htmx:sendError", function () {
    banner("The server could not be reached. Check your connection and try again.");
  });
  document.addEventListener("htmx:beforeRequest", function () {
    var box = document.getElementById("error-banner");
    if (box) { box.hidden = true; }
  });

  // Confirmation dialogs: <button data-confirm="..."> asks before htmx sends the request.
  document.addEventListener("htmx:confirm", function (event) {
    var source = event.detail.elt;
    var question = source && source.getAttribute("data-confirm");
    if (!question) { return; }
    event.preventDefault();
    if (window.confirm(question)) { event.detail.issueRequest(true); }
  });

  // Select-all checkbox for bulk actions.
  document.addEventListener("change", function (event) {
    var box = event.target;
    if (!box.matches || !box.matches("[data-select-all]")) { return; }
    var scope = document.querySelector(box.getAttribute("data-select-all"));
    if (!scope) { return; }
    scope.querySelectorAll("input[type=checkbox][name=license]").forEach(function (item) {
      item.checked = box.checked;
    });
  });

  // License Management: a tree node filters the table, keeping the other filters (without
  // JavaScript the link opens the page filtered by that node alone).
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("#license-tree a.tree-link");
    var form = document.getElementById("license-filters");
    var company = document.getElementById("filter-company");
    if (!link || !form || !company || event.ctrlKey || event.metaKey || event.shiftKey || event.button !== 0) { return; }
    event.preventDefault();
    company.value = link.getAttribute("data-company");
    window.htmx.trigger(form, "submit");
  });

  // After the table changes: mark the selected tree node, and point "Export CSV" at the view.
  document.addEventListener("htmx:afterSettle", function () {
    var table = document.getElementById("license-table");
    if (!table) { return; }
    var selected = table.getAttribute("data-company");
    document.querySelectorAll("#license-tree a.tree-link").forEach(function (item) {
      var on = item.getAttribute("data-company") === selected;
      item.classList.toggle("selected", on);
      if (on) { item.setAttribute("aria-current", "true"); } else { item.removeAttribute("aria-current"); }
    });
    var exportLink = document.getElementById("export-link");
    if (exportLink && table.getAttribute("data-export")) { exportLink.href = table.getAttribute("data-export"); }
  });
})();
