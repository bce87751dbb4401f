//! Enums stored as text (`orders.status`, `products.status`, `users.role`, …), declared
//! once with their stored spelling:
//!
//! ```ignore
//! text_enum! {
//!     #[derive(Debug, Clone, Copy, PartialEq, Eq)]
//!     pub enum Role { Customer = "customer", Staff = "staff", Admin = "admin" }
//! }
//! ```
//!
//! gives the enum, `Role::ALL`, `as_str` and `parse`, and with the `server` feature
//! sqlx's `Type`, `Encode` and `Decode` for Postgres `text`: a query reads one with
//! `role AS "role: Role"` and binds one as `role as Role`, and a value the code does not
//! know is an error when it is read, never a default.

/// Declares a text-stored enum; see the module's documentation.
#[macro_export]
macro_rules! text_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $text:literal ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        $vis enum $name {
            $( $(#[$vmeta])* $variant ),+
        }

        impl $name {
            /// Every value, in the order declared.
            #[allow(dead_code)]
            pub const ALL: [$name; $crate::text_enum!(@count $($variant)+)] =
                [ $( $name::$variant ),+ ];

            /// The stored spelling.
            #[allow(dead_code)]
            pub fn as_str(self) -> &'static str {
                match self { $( $name::$variant => $text ),+ }
            }

            /// The value stored as `s`, if the code knows it.
            #[allow(dead_code)]
            pub fn parse(s: &str) -> Option<$name> {
                match s {
                    $( $text => Some($name::$variant), )+
                    _ => None,
                }
            }
        }

        #[cfg(feature = "server")]
        $crate::sql_text!($name);
    };
    (@count) => { 0usize };
    (@count $head:ident $($tail:ident)*) => { 1usize + $crate::text_enum!(@count $($tail)*) };
}
