(function () {
  "use strict";
  var root = document.documentElement;
  var data = JSON.parse(document.getElementById("report-data").textContent);
  var button = document.getElementById("lang-switch");
  var failuresOnly = document.getElementById("filter-failures");
  var level = document.getElementById("filter-level");
  var count = document.getElementById("filter-count");

  function setLanguage(lang) {
    root.setAttribute("lang", lang);
    root.setAttribute("data-lang", lang);
    document.title = data.title[lang];
    button.textContent = data.i18n.switchTo[lang];
    button.setAttribute("aria-label", data.i18n.switchLabel[lang]);
    showCount();
  }

  function showCount() {
    if (!count) { return; }
    var rows = document.querySelectorAll("#coverage tr.filterable");
    var shown = 0;
    rows.forEach(function (row) { if (!row.hidden) { shown += 1; } });
    var lang = root.getAttribute("data-lang");
    count.textContent = data.i18n.shown[lang]
      .replace("{shown}", String(shown)).replace("{total}", String(rows.length));
  }

  function applyFilters() {
    if (!failuresOnly || !level) { return; }
    var onlyBad = failuresOnly.checked;
    var wanted = level.value;
    document.querySelectorAll(".filterable").forEach(function (node) {
      var bad = node.getAttribute("data-bad") === "1";
      var levelOk = wanted === "all" || node.getAttribute("data-level") === wanted;
      node.hidden = !levelOk || (onlyBad && !bad);
    });
    showCount();
  }

  button.addEventListener("click", function () {
    setLanguage(root.getAttribute("data-lang") === "zh-CN" ? "en" : "zh-CN");
  });
  if (failuresOnly && level) {
    failuresOnly.addEventListener("change", applyFilters);
    level.addEventListener("change", applyFilters);
  }
  // Paper shows every failure's evidence: open each <details> for printing.
  window.addEventListener("beforeprint", function () {
    document.querySelectorAll("details").forEach(function (node) { node.open = true; });
  });
  setLanguage(data.lang === "en" ? "en" : "zh-CN");
  applyFilters();
})();
