// VacMon dashboard: auto-refresh (pausable, remembered per browser) and the range form.
(function () {
  "use strict";
  var KEY = "vacmon.refresh.paused";

  function setupRefresh() {
    var seconds = parseInt(document.body.getAttribute("data-refresh") || "0", 10);
    var button = document.getElementById("refresh-toggle");
    var state = document.getElementById("refresh-state");
    if (!seconds || !button || !state) return;
    var timer = null;
    function paused() {
      try { return window.localStorage.getItem(KEY) === "1"; } catch (e) { return false; }
    }
    function apply() {
      if (timer) { window.clearTimeout(timer); timer = null; }
      if (paused()) {
        state.textContent = "auto-refresh paused";
        button.textContent = "Resume";
      } else {
        state.textContent = "auto-refresh every " + seconds + " s";
        button.textContent = "Pause";
        timer = window.setTimeout(function () { window.location.reload(); }, seconds * 1000);
      }
    }
    button.addEventListener("click", function () {
      try { window.localStorage.setItem(KEY, paused() ? "0" : "1"); } catch (e) { /* private mode */ }
      apply();
    });
    apply();
  }

  function setupRangeForm() {
    var form = document.getElementById("range-form");
    var select = document.getElementById("range-select");
    var custom = document.getElementById("custom-range");
    if (!form || !select || !custom) return;
    var inputs = custom.querySelectorAll("input");
    select.addEventListener("change", function () {
      var isCustom = select.value === "custom";
      custom.hidden = !isCustom;
      for (var i = 0; i < inputs.length; i++) inputs[i].disabled = !isCustom;
      // A preset applies at once; a custom range waits for its dates and "Show".
      if (!isCustom) form.submit();
    });
    form.addEventListener("submit", function () {
      // "range=custom" is implied by from/to; leaving it out keeps URLs short.
      if (select.value === "custom") select.disabled = true;
    });
  }

  setupRefresh();
  setupRangeForm();
})();
