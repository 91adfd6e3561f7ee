// The Usage page's chart: uPlot (vendored), fed by the JSON endpoint in #usage-chart's
// data-src. Redrawn whenever htmx swaps the report (filters push the URL and swap it).
(function () {
  "use strict";

  function draw() {
    var holder = document.getElementById("usage-chart");
    if (!holder || holder.dataset.drawn === holder.dataset.src || typeof uPlot === "undefined") {
      return;
    }
    holder.dataset.drawn = holder.dataset.src;
    fetch(holder.dataset.src, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        return response.json();
      })
      .then(function (data) {
        holder.textContent = "";
        var xs = data.days.map(function (day) { return Date.parse(day + "T00:00:00Z") / 1000; });
        var bought = data.bought.map(function (value) { return value === null ? undefined : value; });
        var width = Math.max(320, holder.clientWidth || 800);
        var chart = new uPlot({
          width: width,
          height: 320,
          tzDate: function (ts) { return uPlot.tzDate(new Date(ts * 1000), "Etc/UTC"); },
          scales: { x: { time: true }, y: { range: function (u, min, max) { return [0, Math.max(1, max) * 1.1]; } } },
          series: [
            {},
            { label: "Seats used", stroke: "#1f6feb", fill: "rgba(31,111,235,0.15)", width: 2 },
            { label: "Seats bought", stroke: "#b35900", width: 2, dash: [6, 4] }
          ],
          axes: [{}, { label: "Seats" }]
        }, [xs, data.used, bought], holder);
        holder.uplot = chart;
        holder.dataset.ready = "true";
        fitWidth(holder);
      })
      .catch(function (error) {
        holder.textContent = "The chart could not be drawn (" + error.message + "); the table below has the figures.";
      });
  }

  // The chart follows its holder's width (a phone turned, a window resized, zoom).
  function fitWidth(holder) {
    if (typeof ResizeObserver === "undefined") { return; }
    new ResizeObserver(function () {
      var width = Math.max(320, holder.clientWidth);
      if (holder.uplot && holder.uplot.width !== width) {
        holder.uplot.setSize({ width: width, height: 320 });
      }
    }).observe(holder);
  }

  function customRange(event) {
    if (event.target && (event.target.id === "usage-from" || event.target.id === "usage-to")) {
      var range = document.getElementById("usage-range");
      if (range) { range.value = "custom"; }
    }
  }

  document.addEventListener("DOMContentLoaded", draw);
  document.addEventListener("htmx:afterSettle", draw);
  document.addEventListener("change", customRange, true);
})();
