/* The live auction page: polls the page's JSON view (same origin, session cookie) and updates
   the current price, the end (extensions), the minimum next bid, the buyer's own bids and the
   standing; counts down between polls from the server's clock. No library. */
(function () {
  "use strict";
  var root = document.getElementById("auction");
  if (!root) { return; }
  var d = root.dataset;
  var pollMs = parseInt(d.pollMs, 10) || 2000;
  var state = d.state;
  var secondsLeft = parseInt(d.secondsLeft, 10) || 0;
  var syncedAt = Date.now();
  var timer = null;
  var inflight = null;
  var stopped = false;

  function el(id) { return document.getElementById(id); }
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function setText(id, text) {
    var node = el(id);
    if (node && node.textContent !== text) { node.textContent = text; }
  }
  function format(s) {
    s = Math.max(0, Math.floor(s));
    var days = Math.floor(s / 86400);
    s -= days * 86400;
    var clock = pad(Math.floor(s / 3600)) + ":" + pad(Math.floor((s % 3600) / 60)) + ":" + pad(s % 60);
    return days ? days + " " + d.wordDays + " " + clock : clock;
  }
  function countdown() {
    if (state !== "open") { setText("countdown", "\u2014"); return; }
    var left = secondsLeft - (Date.now() - syncedAt) / 1000;
    setText("countdown", left > 0 ? format(left) : d.wordClosing);
  }
  function problem(text) {
    var node = el("live-problem");
    node.hidden = !text;
    node.textContent = text || "";
  }
  function renderBids(bids) {
    var list = el("my-bids");
    var items = bids.map(function (b) { return b.amount + " \u00b7 " + b.placed_at; });
    if (!items.length) { items = [d.wordNone]; }
    var current = Array.prototype.map.call(list.children, function (li) { return li.textContent; });
    if (current.join("\n") === items.join("\n")) { return; }
    list.textContent = "";
    items.forEach(function (text) {
      var li = document.createElement("li");
      li.textContent = text;
      list.appendChild(li);
    });
  }
  function standing(v) {
    if (v.state === "open") {
      return v.leading ? d.wordLeading : (v.my_bids.length ? d.wordOutbid : "");
    }
    if (v.won) { return d.wordWon; }
    return v.my_bids.length ? d.wordLost : d.wordFailed;
  }
  function render(v) {
    state = v.state;
    secondsLeft = v.seconds_left;
    syncedAt = Date.now();
    root.dataset.state = v.state;
    setText("current-price", v.current_price || d.wordNoBids);
    setText("bid-count", String(v.bid_count));
    setText("minimum-bid", v.minimum_bid);
    setText("ends-at", v.ends_at);
    setText("ends-at-subcentre", v.ends_at_subcentre);
    setText("extensions", String(v.extensions));
    setText("standing", standing(v));
    renderBids(v.my_bids);
    var input = el("bid-amount");
    if (input) {
      input.min = v.minimum_amount;
      if (document.activeElement !== input && Number(input.value || "0") < Number(v.minimum_amount)) {
        input.value = v.minimum_amount;
      }
    }
    if (v.state !== "open") {
      stopped = true;
      el("bid-panel").hidden = true;
      if (v.won) {
        setText("deal-ref", v.deal_reference);
        el("won-deal").hidden = false;
      }
    }
    countdown();
  }
  function schedule() {
    if (!stopped) { timer = window.setTimeout(poll, pollMs); }
  }
  function poll() {
    timer = null;
    inflight = window.fetch(d.liveUrl, {credentials: "same-origin", cache: "no-store",
                                        headers: {"Accept": "application/json"}})
      .then(function (r) {
        var type = r.headers.get("Content-Type") || "";
        if (r.redirected || r.status === 401) { throw new Error("signed-out"); }
        if (!r.ok || type.indexOf("application/json") !== 0) { throw new Error("unavailable"); }
        return r.json();
      })
      .then(function (v) { problem(null); render(v); })
      .catch(function (e) {
        if (e.message === "signed-out") { stopped = true; problem(d.wordSignedOut); } else { problem(d.wordStale); }
      })
      .then(function () { inflight = null; schedule(); });
  }
  /* a form sent while a poll is under way waits for it, so that leaving the page never cuts
     a request short */
  document.addEventListener("submit", function (ev) {
    stopped = true;
    if (timer) { window.clearTimeout(timer); timer = null; }
    if (inflight) {
      ev.preventDefault();
      var form = ev.target;
      var button = ev.submitter || null;
      inflight.then(function () { form.requestSubmit(button); });
    }
  }, true);
  window.setInterval(countdown, 1000);
  countdown();
  if (state === "open") { schedule(); }
}());
