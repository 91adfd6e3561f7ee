// mspweb: the License Management tree as a WAI-ARIA navigation tree (one tab stop, roving
// tabindex). Up/Down move between visible items, Right opens a node or enters it, Left closes
// it or goes to its parent, Home/End jump to the first/last item, Enter follows the link (which
// filters the table, see app.js). Children of a closed node load (htmx) when it is opened, and
// "Show more" loads the next nodes of a level in its place.
(function () {
  "use strict";

  function visibleItems(tree) {
    return Array.prototype.filter.call(tree.querySelectorAll("[role=treeitem]"), function (item) {
      return item.offsetParent !== null || item === document.activeElement;
    });
  }

  function groupOf(item) {
    var id = item.getAttribute("aria-owns");
    return id ? document.getElementById(id) : null;
  }

  function parentItem(item) {
    var group = item.closest("ul[role=group]");
    return group ? document.querySelector("[aria-owns='" + group.id + "']") : null;
  }

  // Exactly one item of the tree is in the tab order: the current one, else the selected one,
  // else the first.
  function setRoving(tree, current) {
    var items = tree.querySelectorAll("[role=treeitem]");
    if (!current || !tree.contains(current)) {
      current = tree.querySelector("[role=treeitem][aria-current=true]");
      if (!current || current.offsetParent === null) { current = visibleItems(tree)[0] || items[0]; }
    }
    items.forEach(function (item) { item.setAttribute("tabindex", item === current ? "0" : "-1"); });
  }

  function focusItem(tree, item) {
    if (!item) { return; }
    setRoving(tree, item);
    item.focus();
  }

  function setExpanded(item, open) {
    var group = groupOf(item);
    if (!group) { return; }
    item.setAttribute("aria-expanded", open ? "true" : "false");
    group.hidden = !open;
    var source = group.getAttribute("data-children");
    if (open && source && window.htmx) {
      group.removeAttribute("data-children");
      group.innerHTML = '<li role="none" class="muted tree-loading">Loading…</li>';
      window.htmx.ajax("GET", source, { target: group, swap: "innerHTML" });
    }
  }

  function showMore(tree, link) {
    var url = link.getAttribute("data-tree-more");
    var holder = link.closest("li");
    var previous = holder.previousElementSibling;
    window.htmx.ajax("GET", url, { target: holder, swap: "outerHTML" }).then(function () {
      var next = previous ? previous.nextElementSibling : tree.querySelector("li");
      var item = next && next.querySelector("[role=treeitem]");
      if (item) { focusItem(tree, item); }
    });
  }

  document.addEventListener("keydown", function (event) {
    var item = event.target;
    if (!item.matches || !item.matches(".tree [role=treeitem]")) { return; }
    var tree = item.closest("[role=tree]");
    var items = visibleItems(tree);
    var index = items.indexOf(item);
    var expanded = item.getAttribute("aria-expanded");
    var handled = true;
    switch (event.key) {
      case "ArrowDown": focusItem(tree, items[index + 1]); break;
      case "ArrowUp": focusItem(tree, items[index - 1]); break;
      case "Home": focusItem(tree, items[0]); break;
      case "End": focusItem(tree, items[items.length - 1]); break;
      case "ArrowRight":
        if (expanded === "false") { setExpanded(item, true); }
        else if (expanded === "true") {
          var first = groupOf(item).querySelector("[role=treeitem]");
          if (first) { focusItem(tree, first); }
        }
        break;
      case "ArrowLeft":
        if (expanded === "true") { setExpanded(item, false); }
        else { focusItem(tree, parentItem(item)); }
        break;
      case "Enter":
      case " ":
        if (item.hasAttribute("data-tree-more")) { showMore(tree, item); }
        else if (event.key === " ") { item.click(); }
        else { handled = false; }
        break;
      default: handled = false;
    }
    if (handled) { event.preventDefault(); }
  });

  document.addEventListener("click", function (event) {
    var target = event.target;
    if (!target.closest) { return; }
    var toggle = target.closest(".tree [data-tree-toggle]");
    if (toggle) {
      var item = toggle.parentNode.querySelector("[role=treeitem]");
      setExpanded(item, item.getAttribute("aria-expanded") !== "true");
      setRoving(item.closest("[role=tree]"), item);
      return;
    }
    var more = target.closest(".tree [data-tree-more]");
    if (more && window.htmx) {
      event.preventDefault();
      showMore(more.closest("[role=tree]"), more);
    }
  });

  document.addEventListener("focusin", function (event) {
    var item = event.target;
    if (item.matches && item.matches(".tree [role=treeitem]")) { setRoving(item.closest("[role=tree]"), item); }
  });

  function initTrees() {
    document.querySelectorAll(".tree[role=tree]").forEach(function (tree) {
      if (!tree.contains(document.activeElement)) { setRoving(tree, null); }
      else { setRoving(tree, document.activeElement); }
    });
  }

  window.mspTree = { setExpanded: setExpanded };
  document.addEventListener("DOMContentLoaded", initTrees);
  document.addEventListener("htmx:afterSettle", initTrees);
})();
