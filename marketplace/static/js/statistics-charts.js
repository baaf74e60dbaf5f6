// The statistics console's charts (Chart.js, vendor/chart.js). The figures come from the
// json_script blocks the dashboard renders (data, never executed: the CSP forbids inline scripts).
(function () {
  "use strict";

  var BLUE = "#0b4a8b";
  var TEAL = "#0f9d8a";
  var PALETTE = ["#0b4a8b", "#0f9d8a", "#f59e0b", "#d946ef", "#64748b", "#ef4444", "#22c55e"];

  function readData(id) {
    var element = document.getElementById(id);
    return element ? JSON.parse(element.textContent) : null;
  }

  function yuan(value) {
    return Number(value).toLocaleString(document.documentElement.lang || undefined, {maximumFractionDigits: 2});
  }

  function tooltipLabel(context) {
    // A line or bar point is parsed as {x, y}, a doughnut slice as a number.
    var value = typeof context.parsed === "object" ? context.parsed.y : context.parsed;
    return context.dataset.label + ": " + yuan(value);
  }

  function periodsChart(canvas, data) {
    var series = data.series;
    // One period is a bar chart; a run of periods a line chart.
    var type = data.labels.length > 1 ? "line" : "bar";
    return new window.Chart(canvas, {
      type: type,
      data: {
        labels: data.labels,
        datasets: series.map(function (item, index) {
          var colour = index === 0 ? BLUE : TEAL;
          return {
            label: item.label,
            data: item.data,
            borderColor: colour,
            backgroundColor: type === "bar" ? colour : colour + "33",
            cubicInterpolationMode: "monotone",
            fill: false,
          };
        }),
      },
      options: {
        responsive: true,
        animation: false,
        interaction: {mode: "index", intersect: false},
        scales: {y: {beginAtZero: true, ticks: {callback: yuan}}},
        plugins: {tooltip: {callbacks: {label: tooltipLabel}}},
      },
    });
  }

  function categoriesChart(canvas, data) {
    return new window.Chart(canvas, {
      type: "doughnut",
      data: {
        labels: data.labels,
        datasets: [{
          label: data.series[0].label,
          data: data.series[0].data,
          backgroundColor: data.labels.map(function (_, index) { return PALETTE[index % PALETTE.length]; }),
        }],
      },
      options: {
        responsive: true,
        animation: false,
        plugins: {
          legend: {position: "bottom"},
          tooltip: {callbacks: {label: tooltipLabel}},
        },
      },
    });
  }

  function draw() {
    if (!window.Chart) return;
    var periods = document.getElementById("chart-periods");
    var periodsData = readData("chart-periods-data");
    if (periods && periodsData) periodsChart(periods, periodsData);
    var categories = document.getElementById("chart-categories");
    var categoriesData = readData("chart-categories-data");
    if (categories && categoriesData) categoriesChart(categories, categoriesData);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
