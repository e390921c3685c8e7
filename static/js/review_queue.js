// Review queue: tick the rows that may be batch-approved (every evidence file opened by this reviewer),
// and say before the click how many ticked rows the server will refuse for unopened evidence.
(function () {
  var form = document.getElementById("batch-form");
  if (!form) return;
  var boxes = Array.prototype.slice.call(form.querySelectorAll("input[type=checkbox][name=claim]"));
  var count = document.getElementById("selected-count");
  var unviewed = document.getElementById("selected-unviewed");

  function approvable(box) { return box.closest("tr").dataset.approvable === "1"; }

  function update() {
    var ticked = boxes.filter(function (b) { return b.checked; });
    var refused = ticked.filter(function (b) { return !approvable(b); }).length;
    count.textContent = ticked.length;
    unviewed.hidden = refused === 0;
    unviewed.querySelector("strong").textContent = refused;
  }

  document.getElementById("select-approvable").addEventListener("click", function () {
    boxes.forEach(function (b) { b.checked = approvable(b); });
    update();
  });
  document.getElementById("select-none").addEventListener("click", function () {
    boxes.forEach(function (b) { b.checked = false; });
    update();
  });
  boxes.forEach(function (b) { b.addEventListener("change", update); });
  update();
})();
