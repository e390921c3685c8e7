// Review queue: tick the rows that may be batch-approved (every evidence file opened by this reviewer),
// and say before the click how many ticked rows the server will refuse for unopened evidence.
(function () {
  var form = document.getElementById("batch-form");
  if (!form) return;
  var count = document.getElementById("selected-count");
  var unviewed = document.getElementById("selected-unviewed");

  // Looked up each time: htmx swaps in other rows when the filters or the page change.
  function boxes() {
    return Array.prototype.slice.call(form.querySelectorAll("input[type=checkbox][name=claim]"));
  }

  function approvable(box) { return box.closest("tr").dataset.approvable === "1"; }

  function update() {
    var ticked = boxes().filter(function (b) { return b.checked; });
    var refused = ticked.filter(function (b) { return !approvable(b); }).length;
    count.textContent = ticked.length;
    unviewed.hidden = refused === 0;
    unviewed.querySelector("strong").textContent = refused;
  }

  document.getElementById("select-approvable").addEventListener("click", function () {
    boxes().forEach(function (b) { b.checked = approvable(b); });
    update();
  });
  document.getElementById("select-none").addEventListener("click", function () {
    boxes().forEach(function (b) { b.checked = false; });
    update();
  });
  form.addEventListener("change", function (event) {
    if (event.target.name === "claim") update();
  });
  document.body.addEventListener("htmx:afterSettle", update);
  update();
})();
