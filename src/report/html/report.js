// fgconform's HTML report: filters the trials the page already holds. The filter lives in the
// URL fragment (#verdict=fail&area=handler), so a filtered view can be linked and reloaded.
(function () {
  "use strict";
  var form = document.querySelector("form.filters");
  var rows = Array.prototype.slice.call(document.querySelectorAll("#trials .trial"));
  var failing = ["fail", "error", "case-invalid", "unexpected-pass", "flaky"];
  var shown = document.getElementById("shown");
  var expanded = "";

  function readFragment() {
    var wanted = {};
    location.hash.replace(/^#/, "").split("&").forEach(function (pair) {
      var i = pair.indexOf("=");
      if (i > 0) {
        wanted[decodeURIComponent(pair.slice(0, i))] = decodeURIComponent(pair.slice(i + 1));
      }
    });
    Array.prototype.forEach.call(form.querySelectorAll("[data-filter]"), function (input) {
      var value = wanted[input.name] || "";
      if (input.type === "checkbox") {
        input.checked = value === "1";
      } else if (Array.prototype.some.call(input.options, function (o) { return o.value === value; })) {
        input.value = value;
      }
    });
  }

  function current() {
    var filter = {};
    Array.prototype.forEach.call(form.querySelectorAll("[data-filter]"), function (input) {
      var value = input.type === "checkbox" ? (input.checked ? "1" : "") : input.value;
      if (value) {
        filter[input.name] = value;
      }
    });
    return filter;
  }

  function matches(row, filter) {
    var d = row.dataset;
    return (!filter.verdict || d.verdict === filter.verdict) &&
      (!filter.area || d.area === filter.area) &&
      (!filter.runtime || d.runtime === filter.runtime) &&
      (!filter.level || d.level === filter.level) &&
      (!filter.feature || d.features.split(" ").indexOf(filter.feature) >= 0) &&
      (!filter.problems || failing.indexOf(d.verdict) >= 0);
  }

  function apply() {
    var filter = current();
    var count = 0;
    rows.forEach(function (row) {
      var visible = matches(row, filter);
      row.hidden = !visible;
      count += visible ? 1 : 0;
    });
    // "expand all" opens or closes every non-passing trial when it changes, not on every filter.
    if ((filter.open || "") !== expanded) {
      expanded = filter.open || "";
      rows.forEach(function (row) {
        if (row.tagName === "DETAILS") {
          row.open = expanded === "1";
        }
      });
    }
    shown.textContent = "showing " + count + " of " + rows.length + " trials";
    document.documentElement.setAttribute("data-shown", String(count));
    return filter;
  }

  form.addEventListener("change", function () {
    var filter = apply();
    var hash = Object.keys(filter).map(function (k) {
      return encodeURIComponent(k) + "=" + encodeURIComponent(filter[k]);
    }).join("&");
    history.replaceState(null, "", hash ? "#" + hash : location.pathname + location.search);
  });
  window.addEventListener("hashchange", function () { readFragment(); apply(); });
  readFragment();
  apply();
})();
