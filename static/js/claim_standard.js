// The claim form lists the unit's 学时认定标准 for every activity kind; with this script only the chosen
// kind's line shows. Without it every line shows, each naming its kind.
(function () {
  const select = document.getElementById("id_kind");
  const list = document.getElementById("unit-standard");
  if (!select || !list) return;
  function show() {
    let shown = 0;
    list.querySelectorAll("[data-kind]").forEach((item) => {
      item.hidden = item.dataset.kind !== select.value;
      if (!item.hidden) shown += 1;
    });
    const none = list.querySelector("[data-no-standard]");
    if (none) none.hidden = shown > 0 || !select.value;
  }
  select.addEventListener("change", show);
  show();
})();
