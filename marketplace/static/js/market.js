// Small behaviours of the market's pages. No inline scripts (the CSP forbids them).
(function () {
  "use strict";

  // Cascading region selects: choosing a province loads its cities, a city its districts.
  document.addEventListener("change", function (event) {
    var select = event.target;
    if (!select.matches || !select.matches("select[data-region-level]")) return;
    var container = select.closest(".region-select");
    var level = parseInt(select.dataset.regionLevel, 10);
    var lower = Array.prototype.filter.call(
      container.querySelectorAll("select[data-region-level]"),
      function (s) { return parseInt(s.dataset.regionLevel, 10) > level; }
    );
    lower.forEach(function (s) { s.innerHTML = '<option value="">' + (s.labels && s.labels[0] ? s.labels[0].textContent : "") + "</option>"; });
    if (!select.value || !lower.length) return;
    var next = lower[0];
    next.setAttribute("aria-busy", "true");
    fetch(container.dataset.optionsUrl + "?parent=" + encodeURIComponent(select.value), {credentials: "same-origin"})
      .then(function (response) { return response.ok ? response.text() : ""; })
      .then(function (html) {
        if (html) next.innerHTML = html;
        next.removeAttribute("aria-busy");
        next.dispatchEvent(new CustomEvent("regions:loaded", {bubbles: true}));
      });
  });

  // Sections shown only for one choice of a radio group: data-show-when="name=value".
  function syncConditionalSections() {
    document.querySelectorAll("[data-show-when]").forEach(function (section) {
      var parts = section.dataset.showWhen.split("=");
      var checked = document.querySelector('input[name="' + parts[0] + '"]:checked');
      var visible = checked && checked.value === parts[1];
      section.hidden = !visible;
    });
  }
  document.addEventListener("change", function (event) {
    if (event.target.matches && event.target.matches("input[type=radio]")) syncConditionalSections();
  });
  document.addEventListener("DOMContentLoaded", syncConditionalSections);

  // Buttons that need a second thought: data-confirm="question".
  document.addEventListener("submit", function (event) {
    var submitter = event.submitter;
    var question = (submitter && submitter.dataset.confirm) || event.target.dataset.confirm;
    if (question && !window.confirm(question)) event.preventDefault();
  });

  // Countdowns: <time datetime="…" data-countdown data-countdown-format="… {days} … {time} …"
  // data-countdown-ended="…">; the date stays as written, the time left is shown after it.
  function pad(number) { return (number < 10 ? "0" : "") + number; }
  function tickCountdowns() {
    document.querySelectorAll("time[data-countdown]").forEach(function (time) {
      var end = Date.parse(time.getAttribute("datetime"));
      if (isNaN(end)) return;
      var output = time.nextElementSibling;
      if (!output || !output.classList.contains("countdown-left")) {
        output = document.createElement("span");
        output.className = "countdown-left";
        time.insertAdjacentElement("afterend", output);
      }
      var seconds = Math.floor((end - Date.now()) / 1000);
      if (seconds <= 0) {
        output.textContent = time.dataset.countdownEnded || "";
        return;
      }
      var days = Math.floor(seconds / 86400);
      seconds %= 86400;
      var clock = pad(Math.floor(seconds / 3600)) + ":" + pad(Math.floor((seconds % 3600) / 60)) + ":" + pad(seconds % 60);
      output.textContent = (time.dataset.countdownFormat || "{days} {time}").replace("{days}", days).replace("{time}", clock);
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    if (!document.querySelector("time[data-countdown]")) return;
    tickCountdowns();
    window.setInterval(tickCountdowns, 1000);
  });
  // A live preview (data-live-preview) inside a form being submitted: stop it asking again, and
  // let a request already under way finish first (one cut off by the navigation is an error).
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var previews = form.querySelectorAll ? form.querySelectorAll("[data-live-preview]") : [];
    var busy = Array.prototype.find.call(previews, function (el) { return el.classList.contains("htmx-request"); });
    if (busy) {
      event.preventDefault();
      busy.addEventListener("htmx:afterRequest", function () { form.requestSubmit(event.submitter); }, {once: true});
      return;
    }
    previews.forEach(function (el) { el.setAttribute("hx-disable", ""); });
  });
})();
