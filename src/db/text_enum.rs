//! sqlx's side of a type stored as text: `crate::text_enum!` declares enums with it;
//! `Currency` uses it directly.

/// Implements sqlx's `Type`, `Encode` and `Decode` for Postgres `text` on `$ty`, which
/// must have `fn as_str(self) -> &'static str` and `fn parse(&str) -> Option<Self>`
/// (or name its own: `sql_text!(Currency, code, |s| Currency::parse(s).ok())`).
#[macro_export]
macro_rules! sql_text {
    ($ty:ty) => {
        $crate::sql_text!($ty, as_str, <$ty>::parse);
    };
    ($ty:ty, $as_str:ident, $parse:expr) => {
        impl sqlx::Type<sqlx::Postgres> for $ty {
            fn type_info() -> sqlx::postgres::PgTypeInfo {
                <&str as sqlx::Type<sqlx::Postgres>>::type_info()
            }

            fn compatible(ty: &sqlx::postgres::PgTypeInfo) -> bool {
                <&str as sqlx::Type<sqlx::Postgres>>::compatible(ty)
            }
        }

        impl sqlx::postgres::PgHasArrayType for $ty {
            fn array_type_info() -> sqlx::postgres::PgTypeInfo {
                <&str as sqlx::postgres::PgHasArrayType>::array_type_info()
            }
        }

        impl<'q> sqlx::Encode<'q, sqlx::Postgres> for $ty {
            fn encode_by_ref(
                &self,
                buf: &mut sqlx::postgres::PgArgumentBuffer,
            ) -> Result<sqlx::encode::IsNull, sqlx::error::BoxDynError> {
                <&str as sqlx::Encode<'q, sqlx::Postgres>>::encode_by_ref(&self.$as_str(), buf)
            }
        }

        impl<'r> sqlx::Decode<'r, sqlx::Postgres> for $ty {
            fn decode(
                value: sqlx::postgres::PgValueRef<'r>,
            ) -> Result<Self, sqlx::error::BoxDynError> {
                let text = <&str as sqlx::Decode<'r, sqlx::Postgres>>::decode(value)?;
                ($parse)(text).ok_or_else(|| {
                    format!("{:?} is not a {} this code knows", text, stringify!($ty)).into()
                })
            }
        }
    };
}
