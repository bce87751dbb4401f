//! Shop-wide settings: the name and tagline shown in every page's header.

use serde::{Deserialize, Serialize};

/// What every page needs to know about the shop itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShopInfo {
    pub name: String,
    pub tagline: String,
}

impl Default for ShopInfo {
    /// What the header shows before the settings are loaded, or when they cannot be.
    fn default() -> Self {
        ShopInfo {
            name: "Mercato".to_owned(),
            tagline: String::new(),
        }
    }
}

#[cfg(feature = "server")]
pub use sql::set_setting;

#[cfg(feature = "server")]
mod sql {
    use super::ShopInfo;
    use crate::admin::audit::{self, Action, Subject, SubjectKind};
    use crate::admin::Staff;
    use crate::Error;
    use sqlx::{PgConnection, PgPool};

    /// Sets the shop setting `key` to `value` in `conn`'s transaction, with its audit
    /// entry (each value as `audited` reads it). The row is locked first (stored as
    /// `current`, the value in force, when missing), so two changes at once each audit
    /// a true "before", and it is stored even when unchanged (a choice made). False when
    /// it was `value` already: nothing changed, nothing audited.
    pub async fn set_setting(
        conn: &mut PgConnection,
        staff: &Staff,
        key: &str,
        current: &str,
        value: &str,
        audited: impl Fn(&str) -> serde_json::Value,
    ) -> Result<bool, Error> {
        sqlx::query!(
            "INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING",
            key,
            current,
        )
        .execute(&mut *conn)
        .await?;
        let before =
            sqlx::query_scalar!("SELECT value FROM settings WHERE key = $1 FOR UPDATE", key)
                .fetch_one(&mut *conn)
                .await?;
        if before == value {
            return Ok(false);
        }
        sqlx::query!(
            "UPDATE settings SET value = $2, updated_at = now() WHERE key = $1",
            key,
            value,
        )
        .execute(&mut *conn)
        .await?;
        audit::record(
            conn,
            staff,
            Action::Setting,
            Subject {
                kind: SubjectKind::Setting,
                id: key,
            },
            Some(serde_json::json!({ "value": audited(&before) })),
            Some(serde_json::json!({ "value": audited(value) })),
        )
        .await?;
        Ok(true)
    }

    impl ShopInfo {
        /// Reads the shop's settings; keys missing from the table keep their defaults.
        pub async fn load(pool: &PgPool) -> Result<ShopInfo, Error> {
            let rows = sqlx::query!(
                "SELECT key, value FROM settings WHERE key IN ('shop_name', 'tagline')"
            )
            .fetch_all(pool)
            .await?;
            let mut info = ShopInfo::default();
            for row in rows {
                match row.key.as_str() {
                    "shop_name" => info.name = row.value,
                    "tagline" => info.tagline = row.value,
                    _ => {}
                }
            }
            Ok(info)
        }
    }
}
