//! The staff's rules (`mercato::accounts::staff`): who may give which role, the last
//! admin, and that a change of role or a deactivation ends that person's sessions at
//! once, each with its audit row.

use crate::common::{
    account_signed_in, member, register, seeded_app, seeded_db, sign_in, PASSWORD,
};
use mercato::accounts::staff::{self, Assignment, StaffError};
use mercato::accounts::Role;
use mercato::admin::{Permission, Staff};
use mercato::error::Rule;
use mercato::Error;
use sqlx::PgPool;

async fn role_id(pool: &PgPool, name: &str) -> i64 {
    sqlx::query_scalar("SELECT id FROM staff_roles WHERE name = $1")
        .bind(name)
        .fetch_one(pool)
        .await
        .expect("a seeded role")
}

fn refused(result: Result<(), Error>) -> StaffError {
    match result {
        Err(Error::Rule(Rule::Staff(e))) => e,
        other => panic!("expected a staff rule, got {other:?}"),
    }
}

#[tokio::test]
async fn only_admins_make_admins_and_nobody_gives_more_than_they_may_do() {
    let shop = seeded_db().await;
    let pool = &shop.pool;
    let admin = member(pool, "ann@example.com", Role::Admin, None).await;
    let other_admin = member(pool, "ben@example.com", Role::Admin, None).await;
    // A staff manager: may manage staff, but not refunds.
    let lead =
        staff_role_id_with(pool, "Team lead", &[Permission::Staff, Permission::Orders]).await;
    let sam = member(pool, "sam@example.com", Role::Staff, Some("Support")).await;
    staff::assign(pool, &admin, sam.id(), Assignment::Role(lead))
        .await
        .expect("an admin gives any role");
    let sam = member_again(pool, sam.id()).await;
    staff_role_id_with(pool, "Orders only", &[Permission::Orders]).await;
    let kim = member(pool, "kim@example.com", Role::Staff, Some("Orders only")).await;

    // Sam may give a role within what Sam may do, and no other.
    let fulfilment = role_id(pool, "Fulfilment").await;
    let support = role_id(pool, "Support").await;
    staff::assign(pool, &sam, kim.id(), Assignment::Role(lead))
        .await
        .expect("within Sam's own permissions");
    assert_eq!(
        refused(staff::assign(pool, &sam, kim.id(), Assignment::Role(support)).await),
        StaffError::RoleBeyondYours,
        "Support refunds; Sam may not"
    );
    assert_eq!(
        refused(staff::assign(pool, &sam, kim.id(), Assignment::Admin).await),
        StaffError::AdminsOnly
    );
    assert_eq!(
        refused(staff::assign(pool, &sam, other_admin.id(), Assignment::Role(fulfilment)).await),
        StaffError::AdminsOnly,
        "staff do not change admins"
    );
    assert_eq!(
        refused(staff::set_active(pool, &sam, admin.id(), false).await),
        StaffError::AdminsOnly
    );
    assert_eq!(
        refused(staff::assign(pool, &sam, sam.id(), Assignment::Role(fulfilment)).await),
        StaffError::OwnAccount
    );
    assert_eq!(
        refused(staff::set_active(pool, &admin, admin.id(), false).await),
        StaffError::OwnAccount
    );
    let customer = mercato::accounts::store::upsert_with_role(
        pool,
        "carol@example.com",
        PASSWORD,
        Role::Customer,
    )
    .await
    .expect("a customer");
    assert_eq!(
        refused(staff::set_active(pool, &admin, customer.id, false).await),
        StaffError::NotStaff
    );
    assert_eq!(
        refused(staff::assign(pool, &admin, kim.id(), Assignment::Role(9_999_999)).await),
        StaffError::UnknownRole
    );

    // Nobody changes someone who may do more than they may.
    let max = member(pool, "max@example.com", Role::Staff, Some("Manager")).await;
    assert_eq!(
        refused(staff::set_active(pool, &sam, max.id(), false).await),
        StaffError::MemberBeyondYours,
        "a manager refunds; Sam may not"
    );

    // Without the staff permission, nothing at all.
    let fulfil = member(pool, "fay@example.com", Role::Staff, Some("Fulfilment")).await;
    assert!(matches!(
        staff::set_active(pool, &fulfil, kim.id(), false).await,
        Err(Error::NotPermitted(_))
    ));

    // Demoted a moment ago, Sam acts with what Sam has now, not what Sam had.
    staff::assign(pool, &admin, sam.id(), Assignment::Role(fulfilment))
        .await
        .expect("demoted");
    assert_eq!(
        refused(staff::assign(pool, &sam, kim.id(), Assignment::Role(lead)).await),
        StaffError::YourAccessChanged
    );

    // What went through is in the audit log, with who and what changed.
    let entries: Vec<(String, String, String, serde_json::Value)> =
        sqlx::query_as("SELECT staff_email, action, subject_id, after FROM audit_log ORDER BY id")
            .fetch_all(pool)
            .await
            .expect("the log");
    assert_eq!(entries.len(), 3, "{entries:?}");
    assert_eq!(entries[0].0, "ann@example.com");
    assert_eq!(entries[0].1, "staff.role");
    assert_eq!(entries[0].2, sam.id().to_string());
    assert_eq!(entries[0].3["staff_role"], "Team lead");
    assert_eq!(entries[1].0, "sam@example.com");
}

async fn staff_role_id_with(pool: &PgPool, name: &str, permissions: &[Permission]) -> i64 {
    crate::common::staff_role_with(pool, name, permissions).await
}

async fn member_again(pool: &PgPool, id: i64) -> Staff {
    let account = mercato::accounts::store::account(pool, id)
        .await
        .expect("read")
        .expect("the account");
    Staff::of(account.user, &account.staff_permissions).expect("staff")
}

#[tokio::test]
async fn two_admins_demoting_each_other_at_once_leave_one_admin() {
    let shop = seeded_db().await;
    let pool = &shop.pool;
    let manager = role_id(pool, "Manager").await;
    for round in 0..5 {
        let ann = member(pool, &format!("ann{round}@example.com"), Role::Admin, None).await;
        let ben = member(pool, &format!("ben{round}@example.com"), Role::Admin, None).await;
        // Every other admin from earlier rounds is gone: these two are the only ones.
        sqlx::query(
            "UPDATE users SET deactivated_at = now() WHERE role = 'admin' AND id <> ALL($1)",
        )
        .bind(vec![ann.id(), ben.id()])
        .execute(pool)
        .await
        .expect("earlier admins deactivated");
        let (a, b) = tokio::join!(
            staff::assign(pool, &ann, ben.id(), Assignment::Role(manager)),
            staff::assign(pool, &ben, ann.id(), Assignment::Role(manager)),
        );
        // One goes through; the other finds its actor demoted, whichever came second.
        let (done, refused): (Vec<_>, Vec<_>) = [a, b].into_iter().partition(Result::is_ok);
        assert_eq!(done.len(), 1, "round {round}: {refused:?}");
        assert!(
            matches!(
                refused.as_slice(),
                [Err(Error::Rule(Rule::Staff(StaffError::YourAccessChanged)))]
            ),
            "round {round}: {refused:?}"
        );
        let admins: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM users WHERE role = 'admin' AND deactivated_at IS NULL",
        )
        .fetch_one(pool)
        .await
        .expect("count");
        assert_eq!(admins, 1, "round {round}");
    }
}

#[tokio::test]
async fn a_role_change_or_a_deactivation_ends_that_persons_sessions_at_once() {
    let app = seeded_app().await;
    let admin = account_signed_in(&app, "ann@example.com", Role::Admin, None).await;
    let sam = account_signed_in(&app, "sam@example.com", Role::Staff, Some("Manager")).await;
    let sam_id: i64 = sqlx::query_scalar("SELECT id FROM users WHERE email = 'sam@example.com'")
        .fetch_one(&app.pool)
        .await
        .expect("id");
    let member = format!("member={sam_id}");
    // What the admin's page posts (with JavaScript), and how it is answered.
    let as_admin = |path: &'static str, body: String| {
        let (app, admin) = (&app, admin.clone());
        async move { app.call(path, &body, Some(&admin)).await.status() }
    };
    let me = |cookie: String| {
        let app = &app;
        async move { app.call("/api/admin/me", "", Some(&cookie)).await }
    };
    let signed_in_again = || async {
        let res = sign_in(&app, "sam@example.com", PASSWORD, None).await;
        crate::common::session_cookie(&res).expect("signed in")
    };
    assert_eq!(me(sam.clone()).await.status(), 200);

    // Made "Fulfilment": signed out at once; signed in again, the new role applies.
    let fulfilment = role_id(&app.pool, "Fulfilment").await;
    let body = format!("{member}&role=role-{fulfilment}");
    assert_eq!(as_admin("/api/admin/staff/role", body).await, 200);
    assert_eq!(me(sam.clone()).await.status(), 401);
    let sam = signed_in_again().await;
    let mine: serde_json::Value =
        serde_json::from_str(&me(sam.clone()).await.text().await.expect("body")).expect("json");
    assert_eq!(
        mine["permissions"],
        serde_json::json!(["inventory", "orders"])
    );
    assert_eq!(
        app.call("/api/admin/staff", "", Some(&sam)).await.status(),
        403,
        "no staff permission any more"
    );

    // Deactivated: signed out, and cannot sign in (told why, once the password is right).
    assert_eq!(
        as_admin("/api/admin/staff/deactivate", member.clone()).await,
        200
    );
    assert_eq!(me(sam.clone()).await.status(), 401);
    let sign_in_with = |password: &'static str| {
        let app = &app;
        async move {
            let body = format!("email=sam@example.com&password={password}");
            let res = app.call("/api/account/sign-in", &body, None).await;
            (res.status(), res.text().await.expect("body"))
        }
    };
    let (status, body) = sign_in_with(PASSWORD).await;
    assert_eq!(status, 422);
    assert!(body.contains("Deactivated"), "{body}");
    let (_, body) = sign_in_with("wrong-but-long-enough").await;
    assert!(
        !body.contains("Deactivated"),
        "only the password's owner learns it"
    );

    // Without JavaScript: the form's post lands back on the staff page, which says
    // what happened.
    let res = app
        .post_form(
            "/api/admin/staff/reactivate",
            &member,
            Some(&admin),
            "/admin/staff",
        )
        .await;
    assert_eq!(res.status(), 302);
    let page = app.page("/admin/staff", &admin).await;
    assert!(page.contains("Account reactivated"), "{page}");
    assert_eq!(
        as_admin("/api/admin/staff/deactivate", member.clone()).await,
        200
    );

    // Reactivated: signs in again.
    assert_eq!(
        as_admin("/api/admin/staff/reactivate", member.clone()).await,
        200
    );
    let sam = signed_in_again().await;
    assert_eq!(me(sam).await.status(), 200);

    // The staff page lists them; the audit log shows the five changes.
    let page = app.page("/admin/staff", &admin).await;
    assert!(
        page.contains("sam@example.com") && page.contains("Fulfilment"),
        "{page}"
    );
    let log = app.page("/admin/audit", &admin).await;
    assert_eq!(
        log.matches(r#"data-testid="audit-entry""#).count(),
        5,
        "{log}"
    );
    assert!(log.contains("Deactivated a staff account"));
}

#[tokio::test]
async fn an_invitation_opens_a_staff_account_once_its_owner_chooses_a_password() {
    let app = seeded_app().await;
    let admin = crate::common::account_signed_in(&app, "ann@example.com", Role::Admin, None).await;
    let fulfilment = role_id(&app.pool, "Fulfilment").await;
    let invite = |email: &str, role: String| {
        let (app, admin) = (&app, admin.clone());
        let body = format!("email={email}&role={role}");
        async move {
            app.call("/api/admin/staff/invite", &body, Some(&admin))
                .await
        }
    };
    let res = invite("fay@example.com", format!("role-{fulfilment}")).await;
    assert_eq!(res.status(), 200, "{:?}", res.text().await);

    // Listed as invited; cannot sign in before choosing a password.
    let page = app.page("/admin/staff", &admin).await;
    assert!(
        page.contains("fay@example.com") && page.contains("Invited"),
        "{page}"
    );
    let res = app
        .call(
            "/api/account/sign-in",
            "email=fay@example.com&password=!invited",
            None,
        )
        .await;
    assert_eq!(res.status(), 422);

    // The mailed link sets the password and signs in, with the role's permissions.
    let token = crate::common::link_token(&app, "fay@example.com", "/account/reset?token=").await;
    let body = format!("token={token}&password={PASSWORD}&password_again={PASSWORD}");
    let res = app
        .post_form(
            "/api/account/reset",
            &body,
            None,
            &format!("/account/reset?token={token}"),
        )
        .await;
    let fay = crate::common::session_cookie(&res).expect("signed in");
    let me = app.call("/api/admin/me", "", Some(&fay)).await;
    assert_eq!(me.status(), 200);
    let me: serde_json::Value =
        serde_json::from_str(&me.text().await.expect("body")).expect("json");
    assert_eq!(
        me["permissions"],
        serde_json::json!(["inventory", "orders"])
    );

    // Twice is a field error; a customer's account becomes staff, with its password.
    let res = invite("FAY@example.com", format!("role-{fulfilment}")).await;
    let error = crate::common::answered_error(res, 422).await;
    assert!(error.field("email").is_some(), "{error:?}");
    let carol = register(&app, "carol@example.com", None).await;
    let res = invite("carol@example.com", "admin".to_owned()).await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        app.call("/api/admin/me", "", Some(&carol)).await.status(),
        401,
        "her sessions ended: she signs in again as staff"
    );
    let again = sign_in(&app, "carol@example.com", PASSWORD, None).await;
    let carol = crate::common::session_cookie(&again).expect("signed in");
    assert_eq!(
        app.call("/api/admin/staff", "", Some(&carol))
            .await
            .status(),
        200
    );

    // Someone with the staff permission who is no admin cannot turn a shopper's
    // account into staff (nor lock its owner out that way).
    let lead = crate::common::staff_role_with(&app.pool, "Team lead", &[Permission::Staff]).await;
    let lead_cookie =
        account_signed_in(&app, "lee@example.com", Role::Staff, Some("Team lead")).await;
    let dave = register(&app, "dave@example.com", None).await;
    let res = app
        .call(
            "/api/admin/staff/invite",
            &format!("email=dave@example.com&role=role-{lead}"),
            Some(&lead_cookie),
        )
        .await;
    let error = crate::common::answered_error(res, 422).await;
    assert!(error.field("email").is_some(), "{error:?}");
    assert_eq!(
        app.call("/api/account/me", "", Some(&dave)).await.status(),
        200
    );

    // A role nobody has is refused; both invitations are in the log.
    let res = invite("zed@example.com", "role-999999".to_owned()).await;
    assert_eq!(res.status(), 422);
    let invites: i64 =
        sqlx::query_scalar("SELECT count(*) FROM audit_log WHERE action = 'staff.invite'")
            .fetch_one(&app.pool)
            .await
            .expect("count");
    assert_eq!(invites, 2);
}
