// The plan item matters only for training the unit organised (rule 7): the field shows for that kind alone.
// Without this script it always shows, and the server refuses an item on a claim of another kind.
(function () {
  const kind = document.getElementById("id_kind");
  const field = document.querySelector("[data-field=plan_item]");
  if (!kind || !field) return;
  const select = field.querySelector("select");
  function sync() {
    const unitTraining = kind.value === "unit_training";
    field.hidden = !unitTraining;
    if (!unitTraining && select) select.value = "";
  }
  kind.addEventListener("change", sync);
  sync();
})();
