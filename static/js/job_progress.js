// Polls a background job's status (certificate rendering, ZIP bundling) and updates the page in place.
(function () {
  "use strict";
  var job = document.getElementById("job");
  if (!job || !job.dataset.statusUrl) return;
  var delay = 1000;

  function show(state) {
    job.querySelectorAll("[data-field]").forEach(function (el) {
      var value = state[el.dataset.field];
      if (value === undefined || value === null) return;
      if (el.dataset.field === "percent") el.setAttribute("width", value + "%");
      else if (el.dataset.field === "download_url") el.href = value;
      else el.textContent = value;
    });
    var bar = job.querySelector("[role=progressbar]");
    if (bar && state.percent !== undefined) bar.setAttribute("aria-valuenow", state.percent);
  }

  function poll() {
    fetch(job.dataset.statusUrl, {headers: {"Accept": "application/json"}, credentials: "same-origin"})
      .then(function (response) { if (!response.ok) throw new Error(response.status); return response.json(); })
      .then(function (state) {
        show(state);
        if (state.ready) {
          var ready = job.querySelector("[data-ready]");
          if (ready) ready.hidden = false;
          var waiting = job.querySelector("[data-state=waiting]");
          if (waiting) waiting.hidden = true;
          if (job.dataset.followDownload) window.location.href = state.download_url;
          return;
        }
        if (state.expired) {  // the file outlived its retention period: nothing more will happen
          var expired = job.querySelector("[data-expired]");
          if (expired) expired.hidden = false;
          return;
        }
        if (state.failed) {
          var failed = job.querySelector("[data-failed]");
          if (failed) failed.hidden = false; else window.location.reload();
          return;
        }
        setTimeout(poll, delay);
      })
      .catch(function () { delay = Math.min(delay * 2, 10000); setTimeout(poll, delay); });
  }
  setTimeout(poll, delay);
})();
