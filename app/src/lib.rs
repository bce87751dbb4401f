//! Mercato's user interface: routes, pages, components, the islands that run in the
//! browser (README, "Pages and islands") and the `#[server]` functions that pages and
//! islands call.

// Leptos views are deeply nested types; the release build of the cart page needs more
// than the default depth of 128 to lay them out.
#![recursion_limit = "256"]

pub mod accounts;
pub mod admin;
pub mod cart;
pub mod catalog;
pub mod checkout;
pub mod components;
pub mod error;
pub mod form_errors;
pub mod orders;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod request;
#[cfg(feature = "ssr")]
pub mod session;
pub mod shop;
#[cfg(feature = "ssr")]
pub mod state;

use catalog::{CategoryPage, ProductPage, SearchPage};
use components::{FlashMessage, Footer, Header};
use leptos::prelude::*;
use leptos_meta::{provide_meta_context, HashedStylesheet, Link, MetaTags};
use leptos_router::components::{Outlet, ParentRoute, Route, Router, Routes};
use leptos_router::{path, SsrMode};
use pages::{HomePage, NotFoundPage};

/// The HTML document around the app; rendered on the server only.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    state::provide_request_nonce();
    #[cfg(feature = "ssr")]
    let error_path = form_errors::for_this_request().map(|e| e.path);
    #[cfg(not(feature = "ssr"))]
    let error_path: Option<String> = None;
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <meta name="theme-color" content="#0f766e" />
                <AutoReload options=options.clone() />
                <HydrationScripts options=options.clone() islands=true />
                <HashedStylesheet options id="leptos" />
                <MetaTags />
            </head>
            // Names the server function whose failed post this page answers, if any
            // (for tests and whoever reads the HTML; the message is in the page).
            <body class="min-h-screen bg-stone-50 text-stone-900 antialiased" data-form-error-path=error_path>
                <App />
                // Last in the page: islands hydrate in document order.
                <components::HydratedMarker />
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    form_errors::provide_form_error();
    shop::provide_shop_info();

    view! {
        <Link rel="icon" href="/favicon.svg" type_="image/svg+xml" />
        <Router>
            // No level holds more than 16 routes: the view macro splits longer lists
            // into tuples, and Leptos 0.8 then fails to hydrate every page (found when
            // the checkout routes made it 22).
            <Routes fallback=|| view! { <ShopLayout><NotFoundPage /></ShopLayout> }>
                // The back office has its own layout.
                <ParentRoute path=path!("/admin") view=admin::AdminLayout ssr=SsrMode::Async>
                    <Route path=path!("") view=admin::DashboardPage ssr=SsrMode::Async />
                    // A section with pages of its own is a level of its own: no level
                    // may pass Leptos's 16 routes.
                    <ParentRoute path=path!("orders") view=Outlet ssr=SsrMode::Async>
                        <Route path=path!("") view=admin::OrdersPage ssr=SsrMode::Async />
                        <Route path=path!(":number") view=admin::OrderDetailPage ssr=SsrMode::Async />
                    </ParentRoute>
                    <Route path=path!("returns") view=admin::ReturnsPage ssr=SsrMode::Async />
                    <ParentRoute path=path!("customers") view=Outlet ssr=SsrMode::Async>
                        <Route path=path!("") view=admin::CustomersPage ssr=SsrMode::Async />
                        <Route path=path!(":id") view=admin::CustomerPage ssr=SsrMode::Async />
                    </ParentRoute>
                    <ParentRoute path=path!("discounts") view=Outlet ssr=SsrMode::Async>
                        <Route path=path!("") view=admin::DiscountsPage ssr=SsrMode::Async />
                        <Route path=path!("new") view=admin::NewCouponPage ssr=SsrMode::Async />
                        <Route path=path!(":id") view=admin::CouponPage ssr=SsrMode::Async />
                    </ParentRoute>
                    <Route path=path!("products") view=admin::ProductsPage ssr=SsrMode::Async />
                    <Route path=path!("products/bulk") view=admin::BulkConfirmPage ssr=SsrMode::Async />
                    <Route path=path!("products/new") view=admin::ProductEditorPage ssr=SsrMode::Async />
                    <Route path=path!("products/:id") view=admin::ProductEditorPage ssr=SsrMode::Async />
                    <ParentRoute path=path!("categories") view=Outlet ssr=SsrMode::Async>
                        <Route path=path!("") view=admin::CategoriesPage ssr=SsrMode::Async />
                        <Route path=path!(":id") view=admin::CategoryPage ssr=SsrMode::Async />
                    </ParentRoute>
                    <ParentRoute path=path!("imports") view=Outlet ssr=SsrMode::Async>
                        <Route path=path!("") view=admin::ImportsPage ssr=SsrMode::Async />
                        <Route path=path!(":id") view=admin::ImportPage ssr=SsrMode::Async />
                    </ParentRoute>
                    <ParentRoute path=path!("inventory") view=Outlet ssr=SsrMode::Async>
                        <Route path=path!("") view=admin::InventoryPage ssr=SsrMode::Async />
                        <Route path=path!(":variant") view=admin::VariantStockPage ssr=SsrMode::Async />
                    </ParentRoute>
                    <ParentRoute path=path!("settings") view=Outlet ssr=SsrMode::Async>
                        <Route path=path!("shipping") view=admin::ShippingSettingsPage ssr=SsrMode::Async />
                        <Route path=path!("tax") view=admin::TaxSettingsPage ssr=SsrMode::Async />
                    </ParentRoute>
                    <Route path=path!("staff") view=admin::StaffPage ssr=SsrMode::Async />
                    <Route path=path!("audit") view=admin::AuditPage ssr=SsrMode::Async />
                </ParentRoute>
                <ParentRoute path=path!("") view=|| view! { <ShopLayout><Outlet /></ShopLayout> } ssr=SsrMode::Async>
                    <Route path=path!("/") view=HomePage ssr=SsrMode::Async />
                    <Route path=path!("/c/:slug") view=CategoryPage ssr=SsrMode::Async />
                    <Route path=path!("/p/:slug") view=ProductPage ssr=SsrMode::Async />
                    <Route path=path!("/search") view=SearchPage ssr=SsrMode::Async />
                    <Route path=path!("/cart") view=cart::CartPage ssr=SsrMode::Async />
                    <ParentRoute path=path!("/account") view=Outlet ssr=SsrMode::Async>
                        <Route path=path!("") view=accounts::AccountPage ssr=SsrMode::Async />
                        <Route path=path!("register") view=accounts::RegisterPage ssr=SsrMode::Async />
                        <Route path=path!("verify") view=accounts::VerifyEmailPage ssr=SsrMode::Async />
                        <Route path=path!("forgot") view=accounts::ForgotPasswordPage ssr=SsrMode::Async />
                        <Route path=path!("reset") view=accounts::ResetPasswordPage ssr=SsrMode::Async />
                        <Route path=path!("password") view=accounts::ChangePasswordPage ssr=SsrMode::Async />
                        <Route path=path!("addresses") view=accounts::AddressesPage ssr=SsrMode::Async />
                        <Route path=path!("addresses/new") view=accounts::NewAddressPage ssr=SsrMode::Async />
                        <Route path=path!("addresses/:id") view=accounts::EditAddressPage ssr=SsrMode::Async />
                        <Route path=path!("orders") view=accounts::OrdersPage ssr=SsrMode::Async />
                    </ParentRoute>
                    <ParentRoute path=path!("/checkout") view=Outlet ssr=SsrMode::Async>
                        <Route path=path!("") view=checkout::DetailsPage ssr=SsrMode::Async />
                        <Route path=path!("shipping") view=checkout::ShippingPage ssr=SsrMode::Async />
                        <Route path=path!("review") view=checkout::ReviewPage ssr=SsrMode::Async />
                        <Route path=path!("return") view=checkout::ReturnPage ssr=SsrMode::Async />
                    </ParentRoute>
                    <Route path=path!("/orders/:number") view=orders::OrderPage ssr=SsrMode::Async />
                </ParentRoute>
            </Routes>
        </Router>
    }
}

/// The shop's frame around a shopper's page: header, the waiting message, footer.
#[component]
fn ShopLayout(children: Children) -> impl IntoView {
    view! {
        <div class="flex min-h-screen flex-col">
            <Header />
            <main id="main" class="flex-1">
                <FlashMessage />
                {children()}
            </main>
            <Footer />
        </div>
    }
}
