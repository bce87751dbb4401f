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
mod sql {
    use super::ShopInfo;
    use crate::Error;
    use sqlx::PgPool;

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
