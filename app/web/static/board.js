// The live attendance board: the server sends the board's figures (a `board` event, the JSON
// of GET /api/v1/launches/{id}/board) at once and after every check-in, and this redraws the
// table from them. When the stream ends, the browser opens it again by itself.
(function () {
  "use strict";
  var table = document.getElementById("papan");
  if (!table || !window.EventSource) return;
  var status = document.getElementById("papan-status");
  var when = document.getElementById("papan-waktu");
  var language = document.documentElement.lang || "id";
  var numbers = new Intl.NumberFormat(language);
  var percents = new Intl.NumberFormat(language, { style: "percent" });
  var timeFormat = new Intl.DateTimeFormat(language, { dateStyle: "long", timeStyle: "medium" });
  var hubLevel = table.dataset.level === "hub";

  function cell(row, column, value) {
    var td = document.createElement("td");
    td.className = "num";
    td.dataset.col = column;
    td.textContent = value;
    row.appendChild(td);
  }
  function fill(tr, figures) {
    // In the order of the table's headings (the figures a phone sees first come first).
    cell(tr, "checked_in", numbers.format(figures.checked_in));
    cell(tr, "registered", numbers.format(figures.registered));
    cell(tr, "turnout", figures.registered ? percents.format(figures.checked_in / figures.registered) : "–");
    cell(tr, "walk_ins", numbers.format(figures.walk_ins));
    cell(tr, "present", numbers.format(figures.checked_in + figures.walk_ins));
    cell(tr, "planned", numbers.format(figures.planned));
    cell(tr, "other_hub", numbers.format(figures.other_hub));
  }
  function heading(figures, label) {
    var th = document.createElement("th");
    th.scope = "row";
    if (hubLevel && figures.key) {
      var link = document.createElement("a");
      link.href = "/peluncuran/" + table.dataset.launch + "/hub/" + figures.key;
      link.textContent = figures.name;
      th.appendChild(link);
    } else {
      th.textContent = label;
    }
    return th;
  }
  function draw(board) {
    var body = document.createElement("tbody");
    board.rows.forEach(function (figures) {
      var tr = document.createElement("tr");
      tr.dataset.key = figures.key;
      tr.appendChild(heading(figures, figures.name));
      fill(tr, figures);
      body.appendChild(tr);
    });
    table.replaceChild(body, table.tBodies[0]);
    var total = table.tFoot.rows[0];
    var label = total.cells[0].cloneNode(true);
    while (total.firstChild) total.removeChild(total.firstChild);
    total.appendChild(label);
    fill(total, board.totals);
    when.dateTime = board.as_of;
    when.textContent = timeFormat.format(new Date(board.as_of));
  }

  var source = new EventSource(table.dataset.stream);
  source.addEventListener("open", function () { status.textContent = status.dataset.live; });
  source.addEventListener("board", function (event) {
    status.textContent = status.dataset.live;
    draw(JSON.parse(event.data));
  });
  source.addEventListener("error", function () {
    // Closed for good (the login ended, or the answer was no stream): only a reload helps.
    var ended = source.readyState === EventSource.CLOSED;
    status.textContent = ended ? status.dataset.ended : status.dataset.lost;
  });
  window.addEventListener("pagehide", function () { source.close(); });
})();
