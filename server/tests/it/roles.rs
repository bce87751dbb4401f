//! Roles, enforced by the server: the dashboard (a staff server function) answers
//! staff and admins, refuses customers with 403 and asks guests to sign in (401).

use crate::common::{register, seeded_app, set_role};
use mercato::accounts::Role;

#[tokio::test]
async fn staff_functions_check_the_role_on_the_server() {
    let app = seeded_app().await;
    let dashboard = "/api/admin/dashboard";

    assert_eq!(app.call(dashboard, "", None).await.status(), 401);

    let customer = register(&app, "carol@example.com", None).await;
    let res = app.call(dashboard, "", Some(&customer)).await;
    assert_eq!(res.status(), 403);
    let page = app.page("/admin", &customer).await;
    assert!(page.contains("isn't on the shop's staff"), "{page}");
    assert!(!page.contains("Needs action"));

    let mut staff = vec![];
    for (email, role) in [
        ("sam@example.com", Role::Staff),
        ("ann@example.com", Role::Admin),
    ] {
        let cookie = register(&app, email, None).await;
        staff.push(cookie.clone());
        let staff_role = (role == Role::Staff).then_some("Manager");
        set_role(&app.pool, email, role, staff_role).await;
        let res = app.call(dashboard, "", Some(&cookie)).await;
        assert_eq!(res.status(), 200, "{email}");
        let body: serde_json::Value =
            serde_json::from_str(&res.text().await.expect("body")).expect("json");
        assert!(body["first_day"].is_string(), "{body}");
        assert!(body["waiting"].is_object(), "{body}");
        assert!(app.page("/admin", &cookie).await.contains("Needs action"));
    }

    // A demotion takes effect at once, without signing out.
    set_role(&app.pool, "sam@example.com", Role::Customer, None).await;
    assert_eq!(app.call(dashboard, "", Some(&staff[0])).await.status(), 403);
}
