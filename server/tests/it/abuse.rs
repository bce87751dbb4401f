//! What a hostile visitor can make the shop spend: password hashing is bounded, guesses
//! are counted before they are checked, and limits key on the real client behind a
//! trusted proxy (the test server trusts 127.0.0.1, so `X-Forwarded-For` names the
//! client here).

use crate::common::{register, seeded_app, TestApp, PASSWORD};
use mercato::cache::at_once;

/// A form post from the client at `client`, forwarded by the (trusted) test client.
async fn post_from(app: &TestApp, client: &str, path: &str, body: &str) -> reqwest::Response {
    app.client
        .post(app.url(path))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("accept", "application/json")
        .header("origin", "https://shop.example")
        .header("x-forwarded-for", client)
        .body(body.to_owned())
        .send()
        .await
        .expect("post")
}

#[tokio::test]
async fn ten_guesses_sent_at_once_check_at_most_five_passwords() {
    let app = seeded_app().await;
    register(&app, "ada@example.com", None).await;
    let statuses = at_once(10, {
        let app = std::sync::Arc::new(app);
        move |n| {
            let app = app.clone();
            async move {
                let res = post_from(
                    &app,
                    "198.51.100.7",
                    "/api/account/sign-in",
                    &format!("email=ada@example.com&password=wrong-guess-{n}"),
                )
                .await;
                res.status().as_u16()
            }
        }
    })
    .await;
    // 422: the password was checked and was wrong. 429: refused before any hashing.
    let checked = statuses.iter().filter(|s| **s == 422).count();
    let refused = statuses.iter().filter(|s| **s == 429).count();
    assert_eq!(checked + refused, 10, "{statuses:?}");
    assert!(checked <= 5, "{statuses:?}");
    assert_eq!(
        checked, 5,
        "the free attempts all went through: {statuses:?}"
    );
}

#[tokio::test]
async fn guesses_from_one_client_do_not_keep_the_owner_out() {
    let app = seeded_app().await;
    register(&app, "ada@example.com", None).await;
    for n in 0..8 {
        post_from(
            &app,
            "203.0.113.66",
            "/api/account/sign-in",
            &format!("email=ada@example.com&password=wrong-guess-{n}"),
        )
        .await;
    }
    let attacker = post_from(
        &app,
        "203.0.113.66",
        "/api/account/sign-in",
        &format!("email=ada@example.com&password={PASSWORD}"),
    )
    .await;
    assert_eq!(attacker.status(), 429, "the guesser waits");
    // The owner, elsewhere, signs in at once.
    let owner = post_from(
        &app,
        "192.0.2.10",
        "/api/account/sign-in",
        &format!("email=ada@example.com&password={PASSWORD}"),
    )
    .await;
    assert_eq!(owner.status(), 200);
}

#[tokio::test]
async fn a_forwarded_for_header_from_an_untrusted_peer_names_nobody() {
    let app = crate::common::seeded_app_tweaked(|state| {
        state.trusted_proxies = mercato::limits::client::TrustedProxies::none();
    })
    .await;
    register(&app, "ada@example.com", None).await;
    // Five guesses, each claiming another address: all are counted for the real peer.
    for n in 0..5 {
        let res = post_from(
            &app,
            &format!("203.0.113.{n}"),
            "/api/account/sign-in",
            &format!("email=ada@example.com&password=wrong-guess-{n}"),
        )
        .await;
        assert_eq!(res.status(), 422);
    }
    let sixth = post_from(
        &app,
        "198.51.100.99",
        "/api/account/sign-in",
        &format!("email=ada@example.com&password={PASSWORD}"),
    )
    .await;
    assert_eq!(sixth.status(), 429, "the header changed nothing");
}

#[tokio::test]
async fn guesses_spread_over_many_addresses_still_slow_down_for_the_account() {
    let app = seeded_app().await;
    register(&app, "ada@example.com", None).await;
    for n in 0..32 {
        let res = post_from(
            &app,
            &format!("10.66.{}.{}", n / 256, n % 256),
            "/api/account/sign-in",
            &format!("email=ada@example.com&password=wrong-guess-{n}"),
        )
        .await;
        assert!([422, 429].contains(&res.status().as_u16()));
    }
    // Thirty went at once from anywhere; from then on each waits, at most half a minute,
    // so the owner's own attempt is never far behind.
    let (attempts, wait): (i32, f64) = sqlx::query_as(
        "SELECT attempts, extract(epoch FROM next_at - last_at)::float8 FROM rate_limits
         WHERE key = 'sign-in-account:ada@example.com'",
    )
    .fetch_one(&app.pool)
    .await
    .expect("the account's backoff");
    assert!(attempts >= 30, "{attempts}");
    assert!(wait > 0.0 && wait <= 30.0, "{wait}");
}

#[tokio::test]
async fn five_hundred_registrations_at_once_leave_the_shop_answering_pages() {
    let app = std::sync::Arc::new(seeded_app().await);
    let flood = tokio::spawn({
        let app = app.clone();
        async move {
            at_once(500, move |n| {
                let app = app.clone();
                async move {
                    // Each from its own address: the per-client limit does not help here,
                    // only the bound on hashing does.
                    let client = format!("10.{}.{}.{}", n / 65536, (n / 256) % 256, n % 256);
                    post_from(
                        &app,
                        &client,
                        "/api/account/register",
                        &format!(
                            "email=flood-{n}@example.com&password={PASSWORD}&password_again={PASSWORD}"
                        ),
                    )
                    .await
                    .status()
                    .as_u16()
                }
            })
            .await
        }
    });
    // While the flood is on, shoppers still get pages.
    let mut pages = 0;
    while !flood.is_finished() {
        let res = app.get("/c/clothing").await;
        assert_eq!(res.status(), 200);
        pages += 1;
    }
    let statuses = flood.await.expect("the flood ends");
    let busy = statuses.iter().filter(|s| **s == 503).count();
    let accepted = statuses.iter().filter(|s| **s == 200).count();
    assert_eq!(busy + accepted, 500, "nothing else: {statuses:?}");
    assert!(busy > 0, "beyond the hashing bound, a quick 'busy' answer");
    assert!(pages >= 1);
    let created: i64 = sqlx::query_scalar("SELECT count(*) FROM users")
        .fetch_one(&app.pool)
        .await
        .expect("users");
    assert_eq!(
        created as usize, accepted,
        "one account per accepted registration"
    );
}

#[tokio::test]
async fn a_busy_answer_says_to_try_again_in_a_few_seconds() {
    let app = seeded_app().await;
    // Take every place in line for hashing, then ask for one more.
    let gate = app.hashing.clone();
    let turns: Vec<_> = std::iter::from_fn(|| gate.turn().ok()).take(1000).collect();
    let res = post_from(
        &app,
        "198.51.100.1",
        "/api/account/sign-in",
        &format!("email=ada@example.com&password={PASSWORD}"),
    )
    .await;
    drop(turns);
    assert_eq!(res.status(), 503);
    let error: app::error::AppError =
        serde_json::from_str(&res.text().await.expect("body")).expect("an error");
    assert_eq!(error, app::error::AppError::Busy);
    assert!(error.to_string().contains("try again in a few seconds"));
}

#[tokio::test]
async fn searching_faster_than_the_limit_is_told_to_wait() {
    let app = crate::common::seeded_app_tweaked(|state| {
        state.search_limit = std::sync::Arc::new(mercato::limits::LocalBucket::new(60, 3));
    })
    .await;
    let search = |client: &'static str, q: &'static str| {
        let app = &app;
        async move {
            app.client
                .get(app.url(&format!("/search?q={q}")))
                .header("x-forwarded-for", client)
                .send()
                .await
                .expect("search")
        }
    };
    for q in ["hat", "mug", "tent"] {
        assert_eq!(search("198.51.100.5", q).await.status(), 200, "{q}");
    }
    let limited = search("198.51.100.5", "lamp").await;
    assert_eq!(limited.status(), 429);
    let page = limited.text().await.expect("page");
    assert!(
        page.contains("One moment, please") && page.contains("try again in 1 second."),
        "{page:.300}"
    );
    // Someone else searches on.
    assert_eq!(search("198.51.100.6", "lamp").await.status(), 200);
}
