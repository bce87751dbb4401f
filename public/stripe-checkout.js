// Stripe's Payment Element on Mercato's pay page. The page renders a box
// ([data-stripe-payment]) with the publishable key, the PaymentIntent's client secret
// and the return address; this script loads Stripe.js, mounts the element in it, and
// confirms the payment when [data-stripe-pay] is clicked. Stripe then sends the
// shopper to the return page, which asks Stripe how it went.
(function () {
  "use strict";
  var stripe = null;
  var elements = null;
  var mounted = null;
  var loading = null;

  function say(box, text) {
    var message = box.querySelector("[data-stripe-message]");
    if (message) message.textContent = text;
  }

  function loadStripe(url) {
    if (window.Stripe) return Promise.resolve();
    if (!loading) {
      loading = new Promise(function (resolve, reject) {
        var script = document.createElement("script");
        script.src = url;
        script.onload = resolve;
        script.onerror = function () {
          loading = null;
          reject(new Error("Stripe.js did not load"));
        };
        document.head.appendChild(script);
      });
    }
    return loading;
  }

  function mount(box) {
    if (mounted === box) return;
    mounted = box;
    loadStripe(box.dataset.jsUrl).then(
      function () {
        stripe = window.Stripe(box.dataset.publishableKey);
        elements = stripe.elements({ clientSecret: box.dataset.clientSecret });
        var target = box.querySelector("[data-payment-element]");
        var hint = target.querySelector("[data-stripe-loading]");
        if (hint) hint.remove();
        elements.create("payment").mount(target);
      },
      function () {
        mounted = null;
        say(box, "The secure card form could not load. Check your connection and reload this page; nothing was charged and your cart is kept.");
      }
    );
  }

  function scan() {
    var box = document.querySelector("[data-stripe-payment]");
    if (box) mount(box);
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-stripe-pay]");
    if (!button) return;
    event.preventDefault();
    var box = button.closest("[data-stripe-payment]");
    if (!stripe || !elements) {
      say(box, "The card form is still loading. Try again in a moment.");
      return;
    }
    button.disabled = true;
    say(box, "");
    stripe
      .confirmPayment({ elements: elements, confirmParams: { return_url: box.dataset.returnUrl } })
      .then(function (result) {
        // Only reached when Stripe did not redirect: the payment did not go through.
        var error = result && result.error;
        var known = error && (error.type === "card_error" || error.type === "validation_error");
        say(box, known ? error.message : "The payment could not be taken and nothing was charged. Please try again.");
        button.disabled = false;
      });
  });

  new MutationObserver(scan).observe(document.documentElement, { childList: true, subtree: true });
  scan();
})();
