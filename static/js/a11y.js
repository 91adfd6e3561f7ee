// mspweb: focus, announcements, dialogs and disclosures after htmx swaps (issue 14).
//
// The convention, for every htmx swap:
//  1. Focus: an element of the new content marked `data-focus` takes focus (an invalid field,
//     the input of the tag cell just changed, a dialog's first control). Otherwise, when the
//     swap removed the focused element (focus fell to <body>), focus goes to the new element
//     with the same `data-focus-key` or id as the one that sent the request, else to the new
//     content's `[data-focus-fallback]` (a heading with tabindex="-1"), else to the target.
//     A request sent from a pager below a table scrolls back to the top of that table.
//  2. Announce: `data-announce` text of the new content is written once into the polite live
//     region #live-status; `data-announce-key` makes a repeated text (a polled progress card)
//     silent until it changes.
//  3. Dialogs: new content holding <dialog data-modal> opens it with showModal() (focus moves
//     in, is trapped, Escape closes it); closing it gives focus back to the opener.
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  var lastRequest = null;
  var announced = {};

  function announce(text) {
    var region = document.getElementById("live-status");
    if (!region || !text) { return; }
    region.textContent = "";
    window.setTimeout(function () { region.textContent = text; }, 50);
  }

  function lostFocus() {
    var active = document.activeElement;
    return !active || active === document.body || !document.body.contains(active);
  }

  function focusTo(element) {
    if (!element) { return false; }
    if (!element.matches("a[href], button, input, select, textarea, [tabindex]")) {
      element.setAttribute("tabindex", "-1");
    }
    element.focus({ preventScroll: false });
    return document.activeElement === element;
  }

  document.addEventListener("htmx:beforeRequest", function (event) {
    var source = event.detail.elt;
    var active = document.activeElement;
    var pager = source && source.closest ? source.closest(".pager") : null;
    var pagers = pager && pager.parentNode ? pager.parentNode.querySelectorAll(":scope > .pager") : [];
    lastRequest = {
      key: (source && source.getAttribute && source.getAttribute("data-focus-key")) ||
        (active && active !== document.body && active.getAttribute("data-focus-key")) || null,
      id: active && active.id ? active.id : null,
      bottomPager: Boolean(pager && pagers.length > 1 && pagers[pagers.length - 1] === pager),
    };
  });

  function manageFocus(root, target) {
    var request = lastRequest;
    lastRequest = null;
    var marked = root.querySelector("[data-focus]") || (root.matches && root.matches("[data-focus]") ? root : null);
    if (marked) {
      marked.removeAttribute("data-focus");
      focusTo(marked);
      return;
    }
    if (request && request.bottomPager) {
      var top = target.querySelector("[data-focus-fallback]") || target;
      target.scrollIntoView({ block: "start" });
      focusTo(top);
      return;
    }
    if (!lostFocus()) { return; }
    var same = null;
    if (request && request.key) { same = document.querySelector("[data-focus-key='" + request.key + "']"); }
    if (!same && request && request.id) { same = document.getElementById(request.id); }
    if (same && focusTo(same)) { return; }
    focusTo(root.querySelector("[data-focus-fallback]") || target);
  }

  function announceIn(root) {
    var items = Array.prototype.slice.call(root.querySelectorAll("[data-announce]"));
    if (root.matches && root.matches("[data-announce]")) { items.unshift(root); }
    items.forEach(function (item) {
      var text = item.getAttribute("data-announce");
      var key = item.getAttribute("data-announce-key");
      item.removeAttribute("data-announce");
      if (key) {
        if (announced[key] === text) { return; }
        announced[key] = text;
      }
      announce(text);
    });
  }

  function openDialogs(root) {
    var dialogs = Array.prototype.slice.call(root.querySelectorAll("dialog[data-modal]"));
    if (root.matches && root.matches("dialog[data-modal]")) { dialogs.unshift(root); }
    dialogs.forEach(function (dialog) {
      if (dialog.open) { return; }
      dialog.returnTo = document.activeElement !== document.body ? document.activeElement : null;
      dialog.showModal();
      var first = dialog.querySelector("[data-focus]") || dialog.querySelector("input:not([type=hidden]), button, a[href]");
      if (first) { first.removeAttribute("data-focus"); first.focus(); }
    });
  }

  var opener = null;
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("[hx-get], [hx-post]");
    if (link) { opener = link; }
    var close = event.target.closest && event.target.closest("dialog [data-close]");
    if (close) {
      event.preventDefault();
      close.closest("dialog").close();
    }
    var toggle = event.target.closest && event.target.closest("[data-menu-toggle]");
    if (toggle) {
      var bar = toggle.closest(".topbar");
      var open = !bar.classList.contains("menu-open");
      bar.classList.toggle("menu-open", open);
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
    }
    var disclose = event.target.closest && event.target.closest("[data-disclose]");
    if (disclose) {
      var box = document.querySelector(disclose.getAttribute("data-disclose"));
      var shown = !box.classList.contains("tree-open");
      box.classList.toggle("tree-open", shown);
      disclose.setAttribute("aria-expanded", shown ? "true" : "false");
      disclose.textContent = shown ? "Hide the companies" : "Show the companies";
    }
  });

  // A closed dialog gives focus back to what opened it, and leaves the page.
  document.addEventListener("close", function (event) {
    var dialog = event.target;
    if (!dialog.matches || !dialog.matches("dialog[data-modal]")) { return; }
    var back = dialog.returnTo || opener;
    window.setTimeout(function () {
      if (dialog.parentNode) { dialog.parentNode.removeChild(dialog); }
      if (back && document.body.contains(back)) { back.focus(); }
    }, 0);
  }, true);

  // A dialog whose form answered with a page fragment that is no dialog closes first.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var dialog = event.detail.elt && event.detail.elt.closest && event.detail.elt.closest("dialog[open]");
    var keep = event.detail.serverResponse && event.detail.serverResponse.indexOf("<dialog") !== -1;
    if (dialog && !keep && !dialog.contains(event.detail.target)) {
      dialog.returnTo = null;
      dialog.close();
    }
  });

  // One swap can settle several elements (the target and out-of-band parts): collect them and
  // handle focus once, after all of them, with the largest one as "the new content".
  var settled = [];
  function afterSwaps() {
    var roots = settled.filter(function (root) { return document.body.contains(root); });
    settled = [];
    if (!roots.length) { return; }
    roots.sort(function (a, b) { return b.getElementsByTagName("*").length - a.getElementsByTagName("*").length; });
    var main = roots[0];
    var marked = null;
    roots.forEach(function (root) {
      if (!marked) { marked = root.matches("[data-focus]") ? root : root.querySelector("[data-focus]"); }
    });
    if (main.closest("dialog[open]") && !marked) { lastRequest = null; return; }
    manageFocus(marked || main, main);
  }

  document.addEventListener("htmx:afterSettle", function (event) {
    // fired on each new element of the swap (the old target may be gone: outerHTML)
    var root = event.target;
    if (!root || !root.querySelector || !document.body.contains(root)) { return; }
    openDialogs(root);
    announceIn(root);
    var config = event.detail.requestConfig;
    if (config && config.triggeringEvent && config.triggeringEvent.type === "licenses-refresh") { return; }
    if (config && config.elt && config.elt.hasAttribute && config.elt.hasAttribute("data-keep-focus")) { return; }
    if (!settled.length) { window.setTimeout(afterSwaps, 0); }
    settled.push(root);
  });

  document.addEventListener("DOMContentLoaded", function () {
    openDialogs(document.body);
  });
})();


// Tab wraps around inside an open modal dialog (the page behind is inert, but without this the
// focus would leave for the browser's own toolbar after the last control).
document.addEventListener("keydown", function (event) {
  "use strict";
  if (event.key !== "Tab") { return; }
  var dialog = document.querySelector("dialog[data-modal][open]");
  if (!dialog) { return; }
  var controls = Array.prototype.filter.call(
    dialog.querySelectorAll("a[href], button:not([disabled]), input:not([type=hidden]):not([disabled]), select, textarea, [tabindex]:not([tabindex='-1'])"),
    function (item) { return item.offsetParent !== null; });
  if (!controls.length) { return; }
  var first = controls[0], last = controls[controls.length - 1];
  var active = document.activeElement;
  if (event.shiftKey && (active === first || !dialog.contains(active))) {
    event.preventDefault(); last.focus();
  } else if (!event.shiftKey && (active === last || !dialog.contains(active))) {
    event.preventDefault(); first.focus();
  }
});
