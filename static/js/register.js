// Unit look-up as you type. Without this script the 查找 button posts the form and the server answers with
// the same fragment, so the page works with JavaScript off too.
(function () {
  const input = document.getElementById("id_q");
  const target = document.getElementById("unit-choices");
  if (!input || !target) return;
  let timer = null;
  let latest = 0;
  function lookup() {
    const checked = target.querySelector("input[name=unit]:checked");
    const params = new URLSearchParams({ q: input.value, selected: checked ? checked.value : "" });
    const ticket = ++latest;
    fetch(input.dataset.lookup + "?" + params, { headers: { "HX-Request": "true" } })
      .then((response) => (response.ok ? response.text() : Promise.reject(response.status)))
      .then((html) => { if (ticket === latest) target.innerHTML = html; })
      .catch(() => {});  // the 查找 button still works
  }
  input.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(lookup, 250); });
  // Enter in the search box searches instead of submitting the registration.
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter") { event.preventDefault(); clearTimeout(timer); lookup(); }
  });
})();
