// The back office's forms without a full page load. Every form in the back office
// works without JavaScript: a post goes to its server function, which answers with a
// redirect to the page to show next (the same page with its message, or the new
// record's page), and a GET form is a filtered list's address. With this script the
// browser sends the same request in the background and puts the page it gets in place
// of the current one: the scroll position, the browser's history and (on an error) the
// typed values behave as after a full load, without the flash of one.
//
// A page that is waiting for the worker (an import being checked) carries
// [data-refresh]: this script fetches it again after that many seconds and replaces
// the page's main part only; without JavaScript, the page's <noscript> refresh does it.
(function () {
  "use strict";
  var NETWORK = "We couldn't reach the shop. Check your connection and try again; what you typed is still here.";
  var refreshTimer = null;
  // Bumped by every visit: an answer to an older one (a refresh still on its way when
  // a form was sent) is dropped.
  var visits = 0;
  // The address whose page is shown (a link to #admin-main changes only the hash).
  var shown = location.pathname + location.search;

  function page() {
    return document.getElementById("admin-main");
  }

  function scheduleRefresh() {
    if (refreshTimer) clearTimeout(refreshTimer);
    refreshTimer = null;
    var marker = document.querySelector("[data-refresh]");
    if (!marker) return;
    var seconds = Number(marker.getAttribute("data-refresh")) || 2;
    refreshTimer = setTimeout(function () {
      var request = fetch(location.href, { headers: { Accept: "text/html" }, credentials: "same-origin" });
      load(request, { quiet: true, method: "get" }).catch(function () { scheduleRefresh(); });
    }, seconds * 1000);
  }

  // Puts the page `request` answers with in place of this one. `quiet`: a refresh of
  // the same page (only its main part changes; focus stays). Anything but a back-office
  // page is loaded in full.
  function load(request, options) {
    var visit = ++visits;
    return request.then(function (response) {
      return response.text().then(function (html) {
        if (visit !== visits) return;
        var next = new DOMParser().parseFromString(html, "text/html");
        var main = next.getElementById("admin-main");
        if (!main || !page()) {
          // Sent elsewhere (signed out: the sign-in page; a link to the shop): go there.
          if (response.ok && (response.redirected || options.method === "get")) {
            location.assign(response.url);
            return;
          }
          throw new Error("The shop answered " + response.status + ": reload the page and try again.");
        }
        // A parsed document runs no scripts, so its <noscript> holds live elements
        // (the refresh of a page that waits for the worker): those are for browsers
        // without this script.
        next.querySelectorAll("noscript").forEach(function (n) { n.remove(); });
        var moved = response.url !== location.href;
        var scroll = window.scrollY;
        document.title = next.title;
        if (options.quiet) {
          page().replaceWith(document.adoptNode(main));
        } else {
          document.body.replaceWith(document.adoptNode(next.body));
        }
        if (moved) {
          history.pushState({ mercato: true }, "", response.url);
          shown = location.pathname + location.search;
          window.scrollTo(0, 0);
        } else {
          window.scrollTo(0, scroll);
        }
        if (!options.quiet) {
          // What happened, for keyboard and screen-reader users: the error, or the
          // page's message, or the page itself.
          var said = page().querySelector("[role=alert]") ||
            page().querySelector("[role=status]") || page().querySelector("h1");
          if (said) {
            if (!said.hasAttribute("tabindex")) said.setAttribute("tabindex", "-1");
            said.focus({ preventScroll: !moved });
          }
        }
        scheduleRefresh();
      });
    });
  }

  function failed(form, error) {
    var old = form.querySelector("[data-network-error]");
    if (old) old.remove();
    var alert = document.createElement("p");
    alert.setAttribute("role", "alert");
    alert.setAttribute("data-network-error", "");
    alert.className = "rounded-xl bg-rose-50 px-4 py-3 text-sm font-medium text-rose-800";
    // fetch's own failures are TypeErrors (offline, refused); ours say what to do.
    alert.textContent = error instanceof TypeError || !error ? NETWORK : error.message;
    form.prepend(alert);
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (event.defaultPrevented || !(form instanceof HTMLFormElement)) return;
    if (!page() || !page().contains(form) || form.hasAttribute("data-full-load")) return;
    var submitter = event.submitter || null;
    // What the browser itself would do differently (another window, a button with an
    // address of its own): left to it.
    if (form.getAttribute("target") || (submitter && (submitter.hasAttribute("formaction") ||
        submitter.hasAttribute("formmethod") || submitter.hasAttribute("formenctype")))) return;
    // Attributes, not properties: a field named "action" would shadow form.action.
    var method = (form.getAttribute("method") || "get").toLowerCase();
    if (method !== "get" && method !== "post") return;
    event.preventDefault();
    // Sent already (a second Enter): once is enough.
    if (form.getAttribute("aria-busy") === "true") return;
    var action = new URL(form.getAttribute("action") || location.href, location.href);
    var multipart = (form.getAttribute("enctype") || "").toLowerCase() === "multipart/form-data";
    var data = new FormData(form, submitter);
    var request;
    if (method === "post") {
      // The answer a browser without JavaScript gets: the page to show next.
      request = fetch(action, {
        method: "POST",
        body: multipart ? data : new URLSearchParams(data),
        credentials: "same-origin",
        headers: { Accept: "text/html,application/xhtml+xml" },
      });
    } else {
      action.search = new URLSearchParams(data).toString();
      request = fetch(action, { headers: { Accept: "text/html" }, credentials: "same-origin" });
    }
    if (refreshTimer) clearTimeout(refreshTimer);
    if (submitter) submitter.disabled = true;
    form.setAttribute("aria-busy", "true");
    load(request, { quiet: false, method: method }).catch(function (error) {
      if (submitter) submitter.disabled = false;
      form.removeAttribute("aria-busy");
      failed(form, error);
      scheduleRefresh();
    });
  });

  // Back and forward to another address: its page, in full (a change of the hash
  // alone, such as "Skip to content", is no new page).
  window.addEventListener("popstate", function () {
    if (location.pathname + location.search !== shown) location.reload();
  });

  // The refund form's button says how much it refunds, from the values the server
  // worked out for each number of units (data-refund-values: one per count, from 0),
  // the shipping and a typed amount. Everything chosen is exactly what is left. Without
  // this script the button says "Refund" and the page after says how much it was.
  function refundAmount(form) {
    var currency = form.querySelector("input[name=currency]").value;
    var format = new Intl.NumberFormat("en-US", { style: "currency", currency: currency });
    var digits = format.resolvedOptions().maximumFractionDigits;
    var minor = function (text) {
      var s = String(text || "").replace(/,/g, "").trim();
      if (!/^\d*(\.\d*)?$/.test(s) || s === "" || s === ".") return null;
      return Math.round(parseFloat(s) * Math.pow(10, digits));
    };
    var typed = form.querySelector("input[name=amount]");
    if (typed && typed.value.trim() !== "") return minor(typed.value);
    var total = 0;
    var everything = true;
    form.querySelectorAll("input[data-refund-values]").forEach(function (input) {
      var values = input.getAttribute("data-refund-values").split(" ");
      var units = Math.max(0, Math.min(values.length - 1, parseInt(input.value, 10) || 0));
      if (units !== values.length - 1) everything = false;
      total += minor(values[units]) || 0;
    });
    var shipping = form.querySelector("input[name=shipping]");
    var shippingLeft = minor(form.getAttribute("data-refund-shipping")) || 0;
    var ship = shipping ? minor(shipping.value) || 0 : 0;
    if (ship !== shippingLeft) everything = false;
    total += ship;
    return everything ? minor(form.getAttribute("data-refund-form")) : total;
  }

  function showRefundAmount(form) {
    var button = form.querySelector("button[type=submit]");
    var amount = refundAmount(form);
    var currency = form.querySelector("input[name=currency]").value;
    var digits = new Intl.NumberFormat("en-US", { style: "currency", currency: currency }).resolvedOptions().maximumFractionDigits;
    button.textContent = amount
      ? "Refund " + new Intl.NumberFormat("en-US", { style: "currency", currency: currency }).format(amount / Math.pow(10, digits))
      : "Refund";
  }

  document.addEventListener("input", function (event) {
    var form = event.target.closest && event.target.closest("form[data-refund-form]");
    if (form) showRefundAmount(form);
  });

  scheduleRefresh();
})();
