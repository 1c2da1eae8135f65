(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("peergate-data").textContent);
  var log = data.origin === "log";
  var names = data.results;
  var entries = [];
  var counts = [0, 0, 0, 0, 0];
  var pods = 0;
  var namespaces = {};
  data.rows.forEach(function (row) {
    pods += row[2];
    var ns = data.namespaces[row[0]];
    if (ns !== "") namespaces[ns] = true;
    row[4].forEach(function (x) {
      counts[x[1]] += x[3];
      entries.push({
        result: x[1], ns: ns, object: row[1], pods: row[2], where: row[3],
        policy: data.columns[x[0]], message: data.messages[x[2]].split("\u0001").join(log ? "" : row[5]),
        count: x[3], actions: x[4],
        user: log ? row[5] : "", operation: log ? row[6] : "", last: log ? row[7] : ""
      });
    });
  });

  function setCount(id, value) {
    var el = document.getElementById(id);
    if (!el) return;
    if (el.getAttribute("data-count") !== String(value)) el.setAttribute("data-mismatch", el.getAttribute("data-count"));
    el.textContent = String(value);
  }
  names.forEach(function (name, i) { setCount("count-" + name, counts[i]); });
  setCount("count-rows", data.rows.length);
  setCount("count-pods", pods);
  setCount("count-namespaces", Object.keys(namespaces).length);

  var state = { q: "", results: { 0: true, 1: true, 2: true, 3: true, 4: false }, ns: "", sort: "result", dir: 1, limit: 200 };
  var hash = (location.hash || "").replace(/^#/, "");
  hash.split("&").forEach(function (part) {
    var kv = part.split("=");
    var key = decodeURIComponent(kv[0] || ""), value = decodeURIComponent(kv.slice(1).join("=") || "");
    if (key === "q") state.q = value;
    if (key === "ns") state.ns = value;
    if (key === "sort") state.sort = value;
    if (key === "dir") state.dir = value === "desc" ? -1 : 1;
    if (key === "result") {
      names.forEach(function (name, i) { state.results[i] = false; });
      value.split(",").forEach(function (name) { var i = names.indexOf(name); if (i >= 0) state.results[i] = true; });
    }
  });

  var columns = [
    { key: "result", title: "Result" },
    { key: "count", title: "Count", log: true, num: true },
    { key: "ns", title: "Namespace" },
    { key: "object", title: "Object" },
    { key: "pods", title: "Pods", log: false, num: true },
    { key: "user", title: "User", log: true },
    { key: "policy", title: "Policy" },
    { key: "message", title: "Message" },
    { key: "last", title: "Last seen", log: true }
  ].filter(function (c) { return c.log === undefined || c.log === log; });

  var table = document.getElementById("results");
  var head = table.querySelector("thead tr");
  var body = table.querySelector("tbody");
  columns.forEach(function (c) {
    var th = document.createElement("th");
    th.textContent = c.title;
    th.setAttribute("data-key", c.key);
    th.addEventListener("click", function () {
      if (state.sort === c.key) state.dir = -state.dir; else { state.sort = c.key; state.dir = 1; }
      render();
    });
    head.appendChild(th);
  });

  var filter = document.getElementById("filter");
  filter.value = state.q;
  filter.addEventListener("input", function () { state.q = filter.value; state.limit = 200; render(); });
  var boxes = document.getElementById("result-filters");
  names.forEach(function (name, i) {
    var label = document.createElement("label");
    var box = document.createElement("input");
    box.type = "checkbox";
    box.checked = !!state.results[i];
    box.id = "show-" + name;
    box.addEventListener("change", function () { state.results[i] = box.checked; state.limit = 200; render(); });
    label.appendChild(box);
    label.appendChild(document.createTextNode(" " + name));
    boxes.appendChild(label);
  });
  var select = document.getElementById("ns-filter");
  Object.keys(namespaces).sort().forEach(function (ns) {
    var option = document.createElement("option");
    option.value = ns;
    option.textContent = ns;
    select.appendChild(option);
  });
  select.value = state.ns;
  select.addEventListener("change", function () { state.ns = select.value; state.limit = 200; render(); });
  document.getElementById("more").addEventListener("click", function () { state.limit += 500; render(); });

  function matches(e) {
    if (!state.results[e.result]) return false;
    if (state.ns && e.ns !== state.ns) return false;
    if (!state.q) return true;
    var q = state.q.toLowerCase();
    return [e.ns, e.object, e.policy, e.message, e.user, names[e.result]].some(function (s) {
      return String(s).toLowerCase().indexOf(q) >= 0;
    });
  }

  function compare(a, b) {
    var x = a[state.sort], y = b[state.sort];
    var c = typeof x === "number" ? x - y : String(x).localeCompare(String(y));
    if (c === 0 && state.sort !== "result") c = a.result - b.result;
    if (c === 0) c = String(a.ns).localeCompare(String(b.ns)) || String(a.object).localeCompare(String(b.object));
    return c * state.dir;
  }

  function cell(tr, text, cls) {
    var td = document.createElement("td");
    if (cls) td.className = cls;
    td.textContent = text;
    tr.appendChild(td);
    return td;
  }

  function render() {
    var shown = entries.filter(matches).sort(compare);
    while (body.firstChild) body.removeChild(body.firstChild);
    var fragment = document.createDocumentFragment();
    shown.slice(0, state.limit).forEach(function (e) {
      var tr = document.createElement("tr");
      tr.setAttribute("data-result", names[e.result]);
      columns.forEach(function (c) {
        if (c.key === "result") {
          var td = cell(tr, "");
          var badge = document.createElement("span");
          badge.className = "badge " + names[e.result];
          badge.textContent = names[e.result];
          td.appendChild(badge);
        } else if (c.key === "object") {
          var td2 = cell(tr, e.object);
          if (e.where) td2.title = e.where;
        } else if (c.key === "policy") {
          cell(tr, e.policy + (e.actions ? " (" + e.actions + ")" : ""));
        } else if (c.key === "message") {
          cell(tr, e.message, "msg");
        } else if (c.key === "user") {
          cell(tr, e.user + (e.operation ? " (" + e.operation + ")" : ""));
        } else if (c.key === "pods") {
          cell(tr, e.pods ? String(e.pods) : "", "num");
        } else {
          cell(tr, String(e[c.key]), c.num ? "num" : "");
        }
      });
      fragment.appendChild(tr);
    });
    body.appendChild(fragment);
    Array.prototype.forEach.call(head.children, function (th) {
      if (th.getAttribute("data-key") === state.sort) th.setAttribute("aria-sort", state.dir > 0 ? "ascending" : "descending");
      else th.removeAttribute("aria-sort");
    });
    var status = document.getElementById("shown");
    status.textContent = "Showing " + Math.min(shown.length, state.limit) + " of " + shown.length +
      " matching results (" + entries.length + " in all)";
    status.setAttribute("data-matching", String(shown.length));
    document.getElementById("more").hidden = shown.length <= state.limit;
  }

  render();
  document.body.setAttribute("data-state", "ready");
})();
