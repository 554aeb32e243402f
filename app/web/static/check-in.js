// A hub's check-in on the coordinator's phone. Every arrival (a typed or scanned code, a ticked
// name, a walk-in) goes first into a queue kept in this browser's storage, shown as waiting
// until the server has it, and the queue is sent in batches: at once, when the signal returns
// (the `online` event) and every few seconds while anything waits. Each item carries a stable
// identity: a delegate's code (the server counts a registration once, whatever the retries) or a
// walk-in's own UUID (a count sent again is not added again). So a batch whose answer was lost
// can be sent again, and nobody is counted twice.
(function () {
  "use strict";
  var root = document.getElementById("check-in");
  if (!root) return;
  var RETRY_EVERY = 5000;
  var ANSWERS_KEPT = 50;
  var sendUrl = root.dataset.send;
  var storeKey = root.dataset.queue;
  var csrf = root.dataset.csrf;
  var batch = parseInt(root.dataset.batch, 10) || 500;
  var codePattern = new RegExp("^[" + root.dataset.alphabet + "]{" + root.dataset.length + "}$");
  var words = {};
  document.querySelectorAll("#kata [data-word]").forEach(function (element) {
    words[element.dataset.word] = element.textContent;
  });
  var codeForm = document.getElementById("form-kode");
  var codeBox = document.getElementById("kode");
  var codeError = document.getElementById("kode-error");
  var queueList = document.getElementById("antrean");
  var queueEmpty = document.getElementById("antrean-kosong");
  var answers = document.getElementById("hasil");
  var status = document.getElementById("status-kirim");
  var checkedIn = document.getElementById("jumlah-hadir");
  var walkIns = document.getElementById("jumlah-walk-in");
  var list = document.getElementById("daftar");
  var sending = false;
  var memory = [];  // where the queue lives when the browser's storage refuses it

  // --- the queue, in localStorage (read afresh each time: another tab may have changed it) ---
  function load() {
    try {
      var stored = JSON.parse(localStorage.getItem(storeKey) || "[]");
      return Array.isArray(stored) ? stored : [];
    } catch (e) {
      return memory.slice();
    }
  }
  function store(queue) {
    memory = queue.slice();
    try { localStorage.setItem(storeKey, JSON.stringify(queue)); } catch (e) { /* kept in memory */ }
  }
  function uuid4() {
    var bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    var hex = Array.prototype.map.call(bytes, function (b) { return (b + 256).toString(16).slice(1); }).join("");
    return [hex.slice(0, 8), hex.slice(8, 12), hex.slice(12, 16), hex.slice(16, 20), hex.slice(20)].join("-");
  }

  // --- what the page shows ---
  function rowFor(code) {
    return list ? list.querySelector("li[data-code='" + code + "']") : null;
  }
  function nameFor(code) {
    var row = rowFor(code);
    return row ? row.dataset.name : null;
  }
  function markRow(code, word, done) {
    var row = rowFor(code);
    if (!row) return;
    var box = row.querySelector("input[type=checkbox]");
    box.checked = true;
    if (done) box.disabled = true;
    row.querySelector(".saved").textContent = word;
  }
  function say(text) { status.textContent = text; }
  function drawQueue() {
    var queue = load();
    while (queueList.firstChild) queueList.removeChild(queueList.firstChild);
    queue.forEach(function (item) {
      var li = document.createElement("li");
      var what = document.createElement("strong");
      what.textContent = item.kind === "walk_in" ? words.walk_in : (nameFor(item.code) || item.code);
      li.appendChild(what);
      if (item.kind === "code" && what.textContent !== item.code) {
        li.appendChild(document.createTextNode(" (" + item.code + ")"));
      }
      li.appendChild(document.createTextNode(" · " + words.waiting));
      queueList.appendChild(li);
    });
    queueEmpty.hidden = queue.length > 0;
    return queue;
  }
  function answer(label, code, outcome) {
    var li = document.createElement("li");
    li.className = "answer " + outcome;
    var who = document.createElement("strong");
    who.textContent = label;
    li.appendChild(who);
    if (code && code !== label) li.appendChild(document.createTextNode(" (" + code + ")"));
    li.appendChild(document.createTextNode(": " + words[outcome]));
    answers.insertBefore(li, answers.firstChild);
    while (answers.children.length > ANSWERS_KEPT) answers.removeChild(answers.lastChild);
    return li;
  }
  var numbers = new Intl.NumberFormat(document.documentElement.lang || "id");
  function add(counter, n) {
    var count = (parseInt(counter.dataset.count, 10) || 0) + n;
    counter.dataset.count = String(count);
    counter.textContent = numbers.format(count);
  }

  // --- adding to the queue ---
  function normalise(text) {
    // As Crockford's base 32 reads what people type: I and L are 1, O is 0.
    return text.toUpperCase().replace(/[\s-]/g, "").replace(/[IL]/g, "1").replace(/O/g, "0");
  }
  function enqueueCode(code, method) {
    var queue = load();
    if (queue.some(function (item) { return item.kind === "code" && item.code === code; })) {
      return false;
    }
    queue.push({ id: "code:" + code, kind: "code", code: code, method: method,
                 scanned_at: new Date().toISOString() });
    store(queue);
    markRow(code, words.waiting, false);
    drawQueue();
    flush();
    return true;
  }
  function enqueueWalkIn() {
    var queue = load();
    var id = uuid4();
    queue.push({ id: "walk_in:" + id, kind: "walk_in", uuid: id, people: 1,
                 scanned_at: new Date().toISOString() });
    store(queue);
    drawQueue();
    flush();
  }

  // --- sending ---
  function settle(sentIds) {
    store(load().filter(function (item) { return sentIds.indexOf(item.id) < 0; }));
  }
  function received(sent, said) {
    settle(sent.map(function (item) { return item.id; }));
    said.check_ins.forEach(function (result) {
      var label = result.name || nameFor(result.code) || result.code;
      var li = answer(label, result.code, result.outcome);
      if (result.other_hub) li.appendChild(document.createTextNode(" (" + words.other_hub + ")"));
      if (result.outcome === "checked_in") add(checkedIn, 1);
      if (result.outcome !== "unknown") markRow(result.code, words[result.outcome], true);
      else {
        var row = rowFor(result.code);
        if (row) { row.querySelector("input").checked = false; row.querySelector(".saved").textContent = ""; }
      }
    });
    var walkInsSent = sent.filter(function (item) { return item.kind === "walk_in"; }).length;
    if (walkInsSent) {
      add(walkIns, said.walk_ins_added);
      // Each count sent once is added once; one that the server had already is said so.
      for (var i = 0; i < walkInsSent; i++) {
        answer(words.walk_in, null, i < said.walk_ins_added ? "walk_in_added" : "walk_in_already");
      }
    }
  }
  function refused(sent) {
    settle(sent.map(function (item) { return item.id; }));
    sent.forEach(function (item) {
      answer(item.kind === "walk_in" ? words.walk_in : (nameFor(item.code) || item.code),
             item.kind === "code" ? item.code : null, "refused");
    });
  }
  function flush() {
    if (sending) return;
    var queue = drawQueue();
    if (!queue.length) { say(words.sent); return; }
    if (navigator.onLine === false) { say(words.offline); return; }
    var codes = queue.filter(function (item) { return item.kind === "code"; }).slice(0, batch);
    var walks = queue.filter(function (item) { return item.kind === "walk_in"; }).slice(0, batch);
    var sent = codes.concat(walks);
    var body = JSON.stringify({
      check_ins: codes.map(function (item) {
        return { code: item.code, method: item.method, scanned_at: item.scanned_at };
      }),
      walk_ins: walks.map(function (item) {
        return { id: item.uuid, people: item.people, scanned_at: item.scanned_at };
      })
    });
    sending = true;
    say(words.sending);
    var more = false;
    fetch(sendUrl, {
      method: "POST", body: body, credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json",
                 "X-CSRF-Token": csrf }
    }).then(function (response) {
      var json = (response.headers.get("Content-Type") || "").indexOf("application/json") === 0;
      if (response.ok && json && !response.redirected) {
        return response.json().then(function (said) { received(sent, said); more = true; });
      }
      if (response.status === 422) { refused(sent); more = true; return; }
      // A login that ended (the answer is the login page), an expired form, a busy server:
      // the queue stays, and goes again later.
      var lost = response.redirected || response.status === 401 || response.status === 403;
      say(lost ? words.login : words.retry);
    }, function () {
      say(words.offline);
    }).then(function () {
      sending = false;
      drawQueue();
      if (more) flush();
    });
  }

  // --- the page's controls ---
  codeForm.addEventListener("submit", function (event) {
    event.preventDefault();
    var code = normalise(codeBox.value);
    if (!codePattern.test(code)) {
      codeError.textContent = words.bad_code;
      codeError.hidden = false;
      codeBox.setAttribute("aria-invalid", "true");
      codeBox.focus();
      return;
    }
    codeError.hidden = true;
    codeBox.removeAttribute("aria-invalid");
    if (!enqueueCode(code, "code")) say(words.queued_already);
    codeBox.value = "";
    codeBox.focus();
  });
  document.getElementById("walk-in").addEventListener("click", enqueueWalkIn);
  if (list) {
    list.addEventListener("change", function (event) {
      var box = event.target;
      if (box.type !== "checkbox") return;
      if (!box.checked) { box.checked = true; return; }  // a tick cannot be taken back here
      enqueueCode(box.value, "list");
    });
    var find = document.getElementById("cari");
    find.addEventListener("input", function () {
      var wanted = find.value.trim().toLowerCase();
      list.querySelectorAll("li").forEach(function (row) {
        row.hidden = wanted !== "" && row.dataset.name.toLowerCase().indexOf(wanted) < 0 &&
          row.dataset.code.toLowerCase().indexOf(wanted) < 0;
      });
    });
  }

  // --- the camera, where the browser has a barcode detector of its own ---
  var scanButton = document.getElementById("pindai");
  if ("BarcodeDetector" in window && navigator.mediaDevices && navigator.mediaDevices.getUserMedia) {
    var camera = document.getElementById("kamera");
    var video = document.getElementById("video");
    var stream = null;
    var recent = {};
    var detector = null;
    var stop = function () {
      if (stream) stream.getTracks().forEach(function (track) { track.stop(); });
      stream = null;
      camera.hidden = true;
      scanButton.hidden = false;
    };
    var look = function () {
      if (!stream) return;
      detector.detect(video).then(function (found) {
        found.forEach(function (barcode) {
          var code = normalise(barcode.rawValue || "");
          var now = Date.now();
          if (!codePattern.test(code) || (recent[code] && now - recent[code] < 5000)) return;
          recent[code] = now;
          if (!enqueueCode(code, "qr")) say(words.queued_already);
        });
      }, function () { /* a frame it could not read */ }).then(function () {
        setTimeout(look, 250);
      });
    };
    scanButton.hidden = false;
    scanButton.addEventListener("click", function () {
      try { detector = detector || new window.BarcodeDetector({ formats: ["qr_code"] }); }
      catch (e) { say(words.camera_failed); return; }
      navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } }).then(function (s) {
        stream = s;
        video.srcObject = s;
        camera.hidden = false;
        scanButton.hidden = true;
        return video.play().then(look);
      }).catch(function () { stop(); say(words.camera_failed); });
    });
    document.getElementById("berhenti").addEventListener("click", stop);
  }

  // --- what was waiting when the page opened, and the retries ---
  load().forEach(function (item) {
    if (item.kind === "code") markRow(item.code, words.waiting, false);
  });
  window.addEventListener("online", flush);
  window.addEventListener("offline", function () { if (load().length) say(words.offline); });
  setInterval(flush, RETRY_EVERY);
  flush();
})();
