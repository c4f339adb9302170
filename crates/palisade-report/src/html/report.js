// Filters and search over the findings, with nothing but the page itself: each card carries
// its severity, family and namespace as data attributes, and its text is searched as shown.
(function () {
  "use strict";
  var form = document.getElementById("filters");
  var severity = document.getElementById("filter-severity");
  var family = document.getElementById("filter-family");
  var namespace = document.getElementById("filter-namespace");
  var text = document.getElementById("filter-text");
  var count = document.getElementById("shown-count");
  var cards = Array.prototype.slice.call(document.querySelectorAll("article.finding"));
  // Lower-cased once: typing in the search box re-tests every card on each key.
  var texts = cards.map(function (card) { return card.textContent.toLowerCase(); });

  function apply() {
    var query = text.value.trim().toLowerCase();
    var shown = 0;
    cards.forEach(function (card, i) {
      var visible =
        (!severity.value || card.dataset.severity === severity.value) &&
        (!family.value || card.dataset.family === family.value) &&
        (!namespace.value || "ns:" + card.dataset.namespace === namespace.value) &&
        (!query || texts[i].indexOf(query) !== -1);
      card.hidden = !visible;
      if (visible) { shown += 1; }
    });
    count.value = shown.toLocaleString("en-US") + " of " + cards.length.toLocaleString("en-US") + " shown";
  }

  [severity, family, namespace].forEach(function (select) {
    select.addEventListener("change", apply);
  });
  text.addEventListener("input", apply);
  form.addEventListener("submit", function (event) { event.preventDefault(); });
  // The form resets its controls after this event; filter once they hold their new values.
  form.addEventListener("reset", function () { setTimeout(apply, 0); });

  // A severity tile of the summary filters the findings by it.
  Array.prototype.forEach.call(document.querySelectorAll(".tile[data-severity]"), function (tile) {
    tile.addEventListener("click", function () {
      if (severity.querySelector('option[value="' + tile.dataset.severity + '"]')) {
        severity.value = tile.dataset.severity;
        apply();
        document.getElementById("findings").scrollIntoView();
      }
    });
  });
  apply();
})();
