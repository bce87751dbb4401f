//! The mail an order's customer gets, each queued in the transaction that made it true
//! (paid, shipped, refunded, cancelled), with a dedupe key so none is sent twice.

use super::read::Viewer;
use super::OrderView;
use crate::mail::{self, Message};
use crate::Error;
use sqlx::PgConnection;

/// Queues the confirmation of order `order_id` (once, whatever happens after).
pub async fn queue_confirmation(
    conn: &mut PgConnection,
    order_id: i64,
    public_url: &str,
) -> Result<(), Error> {
    let view = customers_view(conn, order_id).await?;
    mail::enqueue(conn, &confirmation(&view, public_url)).await?;
    Ok(())
}

/// Order `order_id` as its customer sees it (the mail's words and links come from it).
async fn customers_view(conn: &mut PgConnection, order_id: i64) -> Result<OrderView, Error> {
    let order = sqlx::query!(
        "SELECT number, access_key FROM orders WHERE id = $1",
        order_id,
    )
    .fetch_one(&mut *conn)
    .await?;
    super::read::order_on_conn(conn, order.number, Viewer::Key(&order.access_key)).await
}

/// The link a guest follows to see their order.
pub fn order_link(public_url: &str, view: &OrderView) -> String {
    format!(
        "{public_url}{}",
        super::keyed_page(view.number.0, &view.access_key)
    )
}

/// The confirmation, as text and as HTML.
pub fn confirmation(view: &OrderView, public_url: &str) -> Message {
    let link = order_link(public_url, view);
    let mut text = format!(
        "Thank you for your order!\r\n\r\nOrder {}, placed {}.\r\n\r\n",
        view.number, view.placed
    );
    let mut rows = String::new();
    for line in &view.lines {
        text.push_str(&format!(
            "{} × {} ({})  {}\r\n",
            line.quantity,
            line.name,
            line.sku,
            line.line_total.format()
        ));
        rows.push_str(&format!(
            "<tr><td>{} × {}</td><td style=\"text-align:right\">{}</td></tr>",
            line.quantity,
            escape(&line.name),
            line.line_total.format()
        ));
    }
    let t = &view.totals;
    let mut sums = vec![("Subtotal".to_owned(), t.subtotal.format())];
    if !t.discount.is_zero() {
        let code = view.coupon_code.clone().unwrap_or_default();
        sums.push((
            format!("Coupon {code}"),
            format!("−{}", t.discount.format()),
        ));
    }
    sums.push((
        format!("Shipping ({})", view.shipping_method),
        t.shipping.format(),
    ));
    if t.tax_included {
        sums.push(("Total".to_owned(), t.total.format()));
        sums.push(("Of which tax".to_owned(), t.tax.format()));
    } else {
        sums.push(("Tax".to_owned(), t.tax.format()));
        sums.push(("Total".to_owned(), t.total.format()));
    }
    text.push_str("\r\n");
    for (label, amount) in &sums {
        text.push_str(&format!("{label}: {amount}\r\n"));
        rows.push_str(&format!(
            "<tr><td>{}</td><td style=\"text-align:right\">{amount}</td></tr>",
            escape(label)
        ));
    }
    let address = view
        .shipping_address
        .as_ref()
        .map(|a| a.lines())
        .unwrap_or_default();
    text.push_str(&format!(
        "\r\nShipping to:\r\n{}\r\n\r\nSee your order and its status at any time:\r\n{link}\r\n\r\nMercato\r\n",
        address.join("\r\n")
    ));
    let html = format!(
        "<!doctype html><html><body style=\"font-family:sans-serif;color:#1c1917\">\
         <h1>Thank you for your order!</h1><p>Order <strong>{}</strong>, placed {}.</p>\
         <table style=\"border-collapse:collapse;min-width:320px\">{rows}</table>\
         <h2>Shipping to</h2><p>{}</p>\
         <p><a href=\"{link}\">See your order and its status</a></p></body></html>",
        view.number,
        escape(&view.placed),
        address
            .iter()
            .map(|l| escape(l))
            .collect::<Vec<_>>()
            .join("<br>"),
    );
    Message {
        kind: "order_confirmation",
        dedupe_key: Some(format!("order:{}:confirmation", view.id)),
        to: view.email.clone(),
        subject: format!("Your Mercato order {}", view.number),
        text,
        html: Some(html),
    }
}

/// Queues the "on its way" mail for shipment `shipment` of order `order_id` (once per
/// parcel).
pub async fn queue_shipped(
    conn: &mut PgConnection,
    order_id: i64,
    shipment: i64,
    public_url: &str,
) -> Result<(), Error> {
    let view = customers_view(conn, order_id).await?;
    let Some(parcel) = view.shipments.iter().find(|s| s.id == shipment) else {
        return Err(Error::internal(format!(
            "order {order_id}: shipment {shipment} is not among its shipments"
        )));
    };
    mail::enqueue(conn, &shipped(&view, parcel, public_url)).await?;
    Ok(())
}

/// The "on its way" mail for one parcel: what is in it, the carrier, the tracking link
/// (when the carrier has one), and the order's page.
pub fn shipped(view: &OrderView, parcel: &super::fulfil::Shipment, public_url: &str) -> Message {
    let link = order_link(public_url, view);
    // The whole order in one parcel: it is shipped, and this is its only parcel.
    let everything = view.shipments.len() == 1 && view.status == super::OrderStatus::Fulfilled;
    let opening = if everything {
        format!("Your order {} is on its way.", view.number)
    } else {
        format!("Part of your order {} is on its way.", view.number)
    };
    let (in_parcel, items) = items(
        parcel
            .lines
            .iter()
            .map(|(name, units)| (*units, name.as_str())),
    );
    let mut text = format!("{opening}\r\n\r\nIn this parcel:\r\n{in_parcel}");
    // "Carrier: DHL, tracking number JV01." once, as text; the link when it has one.
    let carrier = if parcel.tracking_number.is_empty() {
        format!("Carrier: {}.", parcel.carrier)
    } else {
        format!(
            "Carrier: {}, tracking number {}.",
            parcel.carrier, parcel.tracking_number
        )
    };
    text.push_str(&format!("\r\n{carrier}\r\n"));
    let mut tracking = format!("<p>{}</p>", escape(&carrier));
    if let Some(url) = &parcel.tracking_url {
        text.push_str(&format!("Follow it: {url}\r\n"));
        tracking.push_str(&format!(
            "<p><a href=\"{}\">Follow your parcel</a></p>",
            escape(url)
        ));
    }
    text.push_str(&format!(
        "\r\nSee your order and its status at any time:\r\n{link}\r\n\r\nMercato\r\n"
    ));
    let html = format!(
        "<!doctype html><html><body style=\"font-family:sans-serif;color:#1c1917\">\
         <h1>{}</h1><h2>In this parcel</h2><ul>{items}</ul>{tracking}\
         <p><a href=\"{}\">See your order and its status</a></p></body></html>",
        escape(&opening),
        escape(&link),
    );
    Message {
        kind: "order_shipped",
        dedupe_key: Some(format!("order:{}:shipment:{}", view.id, parcel.id)),
        to: view.email.clone(),
        subject: format!("Your Mercato order {} is on its way", view.number),
        text,
        html: Some(html),
    }
}

/// Queues the "refunded" mail for refund `refund` of order `order_id` (once per refund).
pub async fn queue_refunded(
    conn: &mut PgConnection,
    order_id: i64,
    refund: i64,
    public_url: &str,
) -> Result<(), Error> {
    let view = customers_view(conn, order_id).await?;
    let Some(refund) = view.refunds.iter().find(|r| r.id == refund) else {
        return Err(Error::internal(format!(
            "order {order_id}: refund {refund} is not among its refunds"
        )));
    };
    mail::enqueue(conn, &refunded(&view, refund, public_url)).await?;
    Ok(())
}

/// Queues the "cancelled" mail of order `order_id`, saying what its refund `refund`
/// gave back when it was paid (once per order).
pub async fn queue_cancelled(
    conn: &mut PgConnection,
    order_id: i64,
    refund: Option<i64>,
    public_url: &str,
) -> Result<(), Error> {
    let view = customers_view(conn, order_id).await?;
    let refund = refund.and_then(|id| view.refunds.iter().find(|r| r.id == id));
    mail::enqueue(conn, &cancelled(&view, refund, public_url)).await?;
    Ok(())
}

/// What a refund gave back, line by line, as text and as HTML list items.
fn refund_items(refund: &super::refund::Refund) -> (String, String) {
    let (mut text, mut html) = items(
        refund
            .lines
            .iter()
            .map(|(name, units, _)| (*units, name.as_str())),
    );
    if !refund.shipping.is_zero() {
        let shipping = format!("Shipping: {}", refund.shipping.format());
        text.push_str(&format!("{shipping}\r\n"));
        html.push_str(&format!("<li>{}</li>", escape(&shipping)));
    }
    (text, html)
}

/// "2 × Mug" for each of `lines` (units, name), as text and as HTML list items.
fn items<'a>(lines: impl Iterator<Item = (u32, &'a str)>) -> (String, String) {
    let mut text = String::new();
    let mut html = String::new();
    for (units, name) in lines {
        text.push_str(&format!("{units} × {name}\r\n"));
        html.push_str(&format!("<li>{units} × {}</li>", escape(name)));
    }
    (text, html)
}

/// A message about `view` with an opening, the refund's items (if any), and the order's
/// page.
fn about_money(
    view: &OrderView,
    opening: &str,
    refund: Option<&super::refund::Refund>,
    public_url: &str,
) -> (String, String) {
    let back = "It goes back the way you paid; your bank may take a few days to show it.";
    match refund {
        Some(refund) => compose(view, opening, refund_items(refund), &[back], public_url),
        None => compose(view, opening, Default::default(), &[], public_url),
    }
}

/// A message about `view`: an opening, the items it is about (text and HTML list
/// items; none when empty), paragraphs, and the order's page.
fn compose(
    view: &OrderView,
    opening: &str,
    (items_text, items_html): (String, String),
    paragraphs: &[&str],
    public_url: &str,
) -> (String, String) {
    let link = order_link(public_url, view);
    let mut text = format!("{opening}\r\n\r\n");
    let mut html = format!("<h1>{}</h1>", escape(opening));
    if !items_text.is_empty() {
        text.push_str(&format!("For:\r\n{items_text}\r\n"));
        html.push_str(&format!("<p>For:</p><ul>{items_html}</ul>"));
    }
    for paragraph in paragraphs {
        text.push_str(&format!("{paragraph}\r\n"));
        html.push_str(&format!("<p>{}</p>", escape(paragraph)));
    }
    text.push_str(&format!(
        "\r\nSee your order and its status at any time:\r\n{link}\r\n\r\nMercato\r\n"
    ));
    let html = format!(
        "<!doctype html><html><body style=\"font-family:sans-serif;color:#1c1917\">{html}\
         <p><a href=\"{}\">See your order and its status</a></p></body></html>",
        escape(&link),
    );
    (text, html)
}

/// The "refunded" mail: how much, for what, and when to expect it.
pub fn refunded(view: &OrderView, refund: &super::refund::Refund, public_url: &str) -> Message {
    let opening = format!(
        "We have refunded {} for your order {}.",
        refund.amount.format(),
        view.number
    );
    let (text, html) = about_money(view, &opening, Some(refund), public_url);
    Message {
        kind: "order_refunded",
        dedupe_key: Some(format!("order:{}:refund:{}", view.id, refund.id)),
        to: view.email.clone(),
        subject: format!("A refund for your Mercato order {}", view.number),
        text,
        html: Some(html),
    }
}

/// The "cancelled" mail, with what was refunded when the order was paid.
pub fn cancelled(
    view: &OrderView,
    refund: Option<&super::refund::Refund>,
    public_url: &str,
) -> Message {
    let opening = match refund {
        Some(r) => format!(
            "Your order {} is cancelled, and we have refunded {}.",
            view.number,
            r.amount.format()
        ),
        None => format!(
            "Your order {} is cancelled. Nothing was charged.",
            view.number
        ),
    };
    let (text, html) = about_money(view, &opening, refund, public_url);
    Message {
        kind: "order_cancelled",
        dedupe_key: Some(format!("order:{}:cancelled", view.id)),
        to: view.email.clone(),
        subject: format!("Your Mercato order {} is cancelled", view.number),
        text,
        html: Some(html),
    }
}

/// Queues the mail for where return `return_id` of order `order_id` stands now: asked
/// for, approved (how to send it back), rejected (why) or received (once each). A
/// refunded return's mail is its refund's.
pub async fn queue_return(
    conn: &mut PgConnection,
    order_id: i64,
    return_id: i64,
    public_url: &str,
) -> Result<(), Error> {
    let view = customers_view(conn, order_id).await?;
    let Some(ret) = view.returns.iter().find(|r| r.id == return_id) else {
        return Err(Error::internal(format!(
            "order {order_id}: return {return_id} is not among its returns"
        )));
    };
    if let Some(message) = returned(&view, ret, public_url) {
        mail::enqueue(conn, &message).await?;
    }
    Ok(())
}

/// The mail about a return where it stands; `None` once refunded (the refund's mail
/// says it).
pub fn returned(
    view: &OrderView,
    ret: &super::returns::Return,
    public_url: &str,
) -> Option<Message> {
    use super::returns::ReturnState;
    let n = view.number;
    let (subject, opening, paragraphs) = match ret.state {
        ReturnState::Requested => (
            format!("We have your return request for order {n}"),
            format!("We have your request to return items from order {n}."),
            vec![
                "We will answer within a few working days, by mail and on your order's page."
                    .to_owned(),
            ],
        ),
        ReturnState::Approved => (
            format!("Your return for order {n} is approved"),
            format!("Your return of items from order {n} is approved."),
            ret.answer
                .iter()
                .cloned()
                .chain(
                    ret.instructions
                        .iter()
                        .map(|i| format!("How to send them back: {i}")),
                )
                .collect(),
        ),
        ReturnState::Rejected => (
            format!("About your return request for order {n}"),
            format!("We cannot take back the items you asked to return from order {n}."),
            ret.answer.iter().map(|a| format!("Why: {a}")).collect(),
        ),
        ReturnState::Received => (
            format!("Your return for order {n} is back with us"),
            format!("The items you returned from order {n} are back with us."),
            vec!["We will refund you shortly and send a mail when we do.".to_owned()],
        ),
        ReturnState::Refunded => return None,
    };
    let items = items(ret.lines.iter().map(|l| (l.units, l.name.as_str())));
    let paragraphs: Vec<&str> = paragraphs.iter().map(String::as_str).collect();
    let (text, html) = compose(view, &opening, items, &paragraphs, public_url);
    Some(Message {
        kind: "order_return",
        dedupe_key: Some(format!(
            "order:{}:return:{}:{}",
            view.id,
            ret.id,
            ret.state.as_str()
        )),
        to: view.email.clone(),
        subject,
        text,
        html: Some(html),
    })
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn names_cannot_add_markup_to_the_mail() {
        assert_eq!(
            escape("<b>\"Tee\" & co</b>"),
            "&lt;b&gt;&quot;Tee&quot; &amp; co&lt;/b&gt;"
        );
    }
}
