// mspweb: inline tags on License Management, one shared mechanism driven by the row (no form
// and no CSRF token per row). A Tags cell carries its URL and the license's version
// (`data-tags`, `data-version`); its buttons say what they do (`data-tag` = remove that tag,
// `data-tag-add`). The request goes through htmx (the CSRF token comes from <body hx-headers>)
// and the answer, the cell alone, replaces the cell. Enter in the input adds the tag.
(function () {
  "use strict";

  function send(button) {
    var cell = button.closest("td[data-tags]");
    if (!cell || !window.htmx) { return; }
    var values = { version: cell.getAttribute("data-version") || "" };
    var url = cell.getAttribute("data-tags");
    if (button.hasAttribute("data-tag")) {
      url += "/remove";
      values.tag = button.getAttribute("data-tag");
    } else {
      values.name = cell.querySelector(".tag-add input").value;
    }
    window.htmx.ajax("POST", url, { source: button, target: cell, swap: "outerHTML", values: values });
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("td[data-tags] button");
    if (button) { send(button); }
  });

  document.addEventListener("keydown", function (event) {
    var input = event.target;
    if (event.key !== "Enter" || !input.matches || !input.matches("td[data-tags] .tag-add input")) { return; }
    event.preventDefault();
    send(input.parentNode.querySelector("button"));
  });

  // The suggestions list (one <datalist> for the page) joins an input when it is focused.
  document.addEventListener("focusin", function (event) {
    var input = event.target;
    if (input.matches && input.matches(".tag-add input") && !input.hasAttribute("list")) {
      input.setAttribute("list", "tag-options");
    }
  });
})();
