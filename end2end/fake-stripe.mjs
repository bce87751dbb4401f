// A local stand-in for Stripe, for the browser tests: the two API endpoints the shop
// calls (create and retrieve a PaymentIntent), a fake Stripe.js at /v3/ whose "Payment
// Element" is a plain card field, and /test/confirm, which plays the bank: 4242… pays
// (and Stripe's signed webhook is sent to the shop), anything else is declined.
// Nothing here is used outside the tests.
import * as http from 'node:http';
import * as crypto from 'node:crypto';

const port = Number(process.env.FAKE_STRIPE_PORT ?? 3109);
const shop = process.env.FAKE_STRIPE_SHOP_URL ?? 'http://127.0.0.1:3108';
const secretKey = process.env.FAKE_STRIPE_SECRET_KEY ?? 'sk_test_e2e';
const webhookSecret = process.env.FAKE_STRIPE_WEBHOOK_SECRET ?? 'whsec_e2e';
const base = `http://127.0.0.1:${port}`;

const intents = new Map();
const byKey = new Map();
let events = 0;

function json(res, status, body) {
  res.writeHead(status, { 'content-type': 'application/json', 'access-control-allow-origin': '*' });
  res.end(JSON.stringify(body));
}

function read(req) {
  return new Promise((resolve) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => resolve(body));
  });
}

async function webhook(type, intent) {
  const body = JSON.stringify({
    id: `evt_e2e_${++events}`, object: 'event', type, data: { object: intent }, livemode: false,
  });
  const t = Math.floor(Date.now() / 1000);
  const v1 = crypto.createHmac('sha256', webhookSecret).update(`${t}.${body}`).digest('hex');
  const res = await fetch(`${shop}/webhooks/stripe`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'stripe-signature': `t=${t},v1=${v1}` },
    body,
  });
  if (!res.ok) console.error(`fake-stripe: the shop answered ${res.status} to ${type}`);
}

const stripeJs = `
window.Stripe = function (publishableKey) {
  return {
    elements: function (options) {
      return {
        clientSecret: options.clientSecret,
        create: function () {
          return {
            mount: function (target) {
              // Styled through the CSSOM, as Stripe.js does: the shop's CSP allows no
              // style attributes in its pages.
              var label = document.createElement('label');
              label.textContent = 'Card number (fake Stripe)';
              Object.assign(label.style, { display: 'block', fontSize: '14px' });
              var input = document.createElement('input');
              input.setAttribute('data-fake-card', '');
              Object.assign(input.style, {
                display: 'block', width: '100%', border: '1px solid #ccc',
                borderRadius: '8px', padding: '8px', marginTop: '4px',
              });
              label.appendChild(input);
              target.replaceChildren(label);
            },
          };
        },
      };
    },
    confirmPayment: async function (args) {
      var secret = args.elements.clientSecret;
      var card = document.querySelector('[data-fake-card]').value;
      var res = await fetch('${base}/test/confirm', {
        method: 'POST', body: JSON.stringify({ client_secret: secret, card: card }),
      });
      var answer = await res.json();
      if (answer.error) return { error: answer.error };
      var id = secret.split('_secret_')[0];
      window.location.href = args.confirmParams.return_url + '?payment_intent=' + id +
        '&payment_intent_client_secret=' + encodeURIComponent(secret) + '&redirect_status=succeeded';
      return new Promise(function () {});
    },
  };
};`;

http
  .createServer(async (req, res) => {
    const url = new URL(req.url, base);
    if (req.method === 'GET' && url.pathname === '/v3/') {
      res.writeHead(200, { 'content-type': 'text/javascript', 'access-control-allow-origin': '*' });
      return res.end(stripeJs);
    }
    if (req.method === 'POST' && url.pathname === '/test/confirm') {
      const { client_secret, card } = JSON.parse(await read(req));
      const intent = [...intents.values()].find((i) => i.client_secret === client_secret);
      if (!intent) return json(res, 404, { error: { type: 'invalid_request_error', message: 'No such intent' } });
      if (String(card).replace(/\s/g, '') === '4242424242424242') {
        Object.assign(intent, { status: 'succeeded', amount_received: intent.amount, last_payment_error: null });
        await webhook('payment_intent.succeeded', intent);
        return json(res, 200, { ok: true });
      }
      const error = { type: 'card_error', code: 'card_declined', message: 'Your card was declined.' };
      Object.assign(intent, { status: 'requires_payment_method', last_payment_error: error });
      await webhook('payment_intent.payment_failed', intent);
      return json(res, 200, { error });
    }
    if (req.headers.authorization !== `Bearer ${secretKey}`) {
      return json(res, 401, { error: { type: 'invalid_request_error', message: 'Invalid API Key provided' } });
    }
    if (req.method === 'POST' && url.pathname === '/v1/payment_intents') {
      const key = req.headers['idempotency-key'];
      if (key && byKey.has(key)) return json(res, 200, intents.get(byKey.get(key)));
      const form = new URLSearchParams(await read(req));
      const id = `pi_e2e${intents.size + 1}`;
      const metadata = {};
      for (const [k, v] of form) {
        const m = k.match(/^metadata\[(.+)\]$/);
        if (m) metadata[m[1]] = v;
      }
      const intent = {
        id, object: 'payment_intent', amount: Number(form.get('amount')), amount_capturable: 0,
        amount_received: 0, capture_method: 'automatic',
        client_secret: `${id}_secret_${crypto.randomBytes(12).toString('hex')}`,
        confirmation_method: 'automatic', created: Math.floor(Date.now() / 1000),
        currency: form.get('currency'), livemode: false, metadata, payment_method_types: ['card'],
        status: 'requires_payment_method', last_payment_error: null,
      };
      intents.set(id, intent);
      if (key) byKey.set(key, id);
      return json(res, 200, intent);
    }
    const m = url.pathname.match(/^\/v1\/payment_intents\/([^/]+)$/);
    if (req.method === 'GET' && m) {
      const intent = intents.get(m[1]);
      if (intent) return json(res, 200, intent);
      return json(res, 404, { error: { type: 'invalid_request_error', message: `No such payment_intent: '${m[1]}'` } });
    }
    json(res, 404, { error: { type: 'invalid_request_error', message: 'Unknown endpoint' } });
  })
  .listen(port, '127.0.0.1', () => console.log(`fake Stripe on ${base}`));
