// The attendance tick list: each tick is sent at once, and a tick that cannot be sent (no
// signal) waits in this browser's storage and is sent again until the server has it. Every
// row carries its own idempotency key, so a tick sent twice records the person once.
(function () {
  "use strict";
  var form = document.querySelector("form.ticks");
  if (!form) return;
  var storeKey = "kopdes-ticks-" + form.dataset.training;
  var words = {
    saving: document.getElementById("kata-menyimpan").textContent,
    saved: document.getElementById("kata-tersimpan").textContent,
    waiting: document.getElementById("kata-menunggu").textContent
  };
  var csrf = form.querySelector("input[name=csrf_token]").value;
  form.querySelector("button.no-script").hidden = true;

  function pending() {
    try { return JSON.parse(localStorage.getItem(storeKey) || "[]"); } catch (e) { return []; }
  }
  function remember(list) { localStorage.setItem(storeKey, JSON.stringify(list)); }
  function say(box, word) { box.closest("li").querySelector(".saved").textContent = word; }
  function boxFor(key) { return form.querySelector("input[data-key='" + key + "']"); }

  function send(key, value) {
    var box = boxFor(key);
    if (box) say(box, words.saving);
    var body = new URLSearchParams();
    body.append("csrf_token", csrf);
    body.append("idempotency_key", key);
    body.append("hadir", value);
    return fetch(form.action, {
      method: "POST", body: body, credentials: "same-origin",
      headers: { "X-Kopdes-Tick": "1" }
    }).then(function (answer) {
      return answer.json().then(function (said) {
        remember(pending().filter(function (item) { return item.key !== key; }));
        if (!box) return;
        if (said.saved) { box.disabled = true; say(box, words.saved); }
        else { box.checked = false; say(box, said.message); }
      });
    }, function () {
      if (box) say(box, words.waiting);  // kept in `pending` and sent again later
    });
  }

  function flush() {
    pending().forEach(function (item) { send(item.key, item.value); });
  }

  form.addEventListener("change", function (event) {
    var box = event.target;
    if (box.name !== "hadir" || !box.checked) return;
    var list = pending().filter(function (item) { return item.key !== box.dataset.key; });
    list.push({ key: box.dataset.key, value: box.value });
    remember(list);
    send(box.dataset.key, box.value);
  });
  pending().forEach(function (item) {
    var box = boxFor(item.key);
    if (box) { box.checked = true; say(box, words.waiting); }
  });
  window.addEventListener("online", flush);
  setInterval(flush, 10000);
  flush();
})();
